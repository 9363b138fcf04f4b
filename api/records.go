package api

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// Recording download (SPEC §5 [HW]): GET recordPath?fileName=… signed like
// every management request, by the app that owns the recording, answers 301
// with Location = a short-lived signed xnum URL (recordFilePath) that
// serves the WAV; published clients check for the 301. Recordings are
// written by package sip as <record.dir>/<appKey>/<sessionId>.wav, and the
// CDR's recordObjectName is the file name: the app's folder is what makes
// another app's fileName "not found".
const (
	recordPath     = "/rest/provision/voice/record/v1.0"
	recordFilePath = "/rest/provision/voice/record/v1.0/file"
	// recordURLTTL is how long a download link works.
	recordURLTTL = 5 * time.Minute
)

// RecordFiles opens an app's recordings. cmd implements it on record.dir.
type RecordFiles interface {
	// Open returns the recording fileName of app; an error wrapping
	// fs.ErrNotExist when the app has none of that name.
	Open(appKey, fileName string) (fs.File, error)
}

// ErrRecordingNotFound: no recording of that name for the signing app
// (SPEC §5: the owning app only).
var ErrRecordingNotFound = newError(CodeRecordNotFound, "recording not found")

// ErrLinkInvalid: a download link whose signature is wrong or whose time
// is up.
var ErrLinkInvalid = newError(CodeAuthFailed, "authentication failed: download link invalid or expired")

// validRecordName accepts the names sip gives recordings: 1–128 characters
// of [A-Za-z0-9._-] ending in .wav, not starting with a dot — never a path.
func validRecordName(s string) bool {
	if len(s) < 5 || len(s) > 128 || s[0] == '.' || s[len(s)-4:] != ".wav" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// newLinkKey is the per-process key of download links. Links outlive
// nothing: they are minutes long, and a restart only makes the client ask
// again.
func newLinkKey() []byte {
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		panic(fmt.Sprintf("api: no randomness for the link key: %v", err))
	}
	return k
}

func (s *Server) linkSignature(appKey, fileName string, expires int64) string {
	m := hmac.New(sha256.New, s.linkKey)
	fmt.Fprintf(m, "%s\x00%s\x00%d", appKey, fileName, expires)
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// recordDownload is GET recordPath?fileName=…: authenticated like the
// management API (any mode), the owning app only, answered 301.
func (s *Server) recordDownload(w http.ResponseWriter, r *http.Request) {
	loc, err := s.recordLink(w, r)
	if err != nil {
		s.reply(w, r, nil, err)
		return
	}
	body, _ := envelope(CodeSuccess, CodeSuccess.Desc(), nil)
	s.requests.WithLabelValues(routePath(r), string(CodeSuccess)).Inc()
	w.Header().Set("Location", loc)
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(http.StatusMovedPermanently)
	_, _ = w.Write(body)
}

func (s *Server) recordLink(w http.ResponseWriter, r *http.Request) (string, error) {
	if s.records == nil {
		return "", ErrNotImplemented
	}
	app, err := s.authenticate(r)
	if err != nil {
		return "", err
	}
	if !s.limiters.allow(app.Key, s.now()) {
		return "", ErrRateLimited
	}
	p, err := readParams(w, r, true)
	if err != nil {
		return "", err
	}
	name, ok, err := p.str("fileName")
	if err != nil {
		return "", err
	}
	if !ok || !validRecordName(name) {
		return "", fieldErr("fileName", "the recordObjectName of a CDR (NAME.wav)")
	}
	f, err := s.records.Open(app.Key, name)
	if errors.Is(err, fs.ErrNotExist) {
		return "", ErrRecordingNotFound
	}
	if err != nil {
		return "", err
	}
	f.Close()
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	exp := s.now().Add(recordURLTTL).Unix()
	q := url.Values{"app": {app.Key}, "fileName": {name}, "expires": {strconv.FormatInt(exp, 10)},
		"signature": {s.linkSignature(app.Key, name, exp)}}
	return scheme + "://" + r.Host + recordFilePath + "?" + q.Encode(), nil
}

// recordFile serves the WAV behind a download link.
func (s *Server) recordFile(w http.ResponseWriter, r *http.Request) {
	f, err := s.openLink(r)
	if err != nil {
		s.reply(w, r, nil, err)
		return
	}
	defer f.Close()
	st, err := f.Stat()
	rs, ok := f.(io.ReadSeeker)
	if err != nil || !ok {
		s.reply(w, r, nil, fmt.Errorf("recording not seekable: %w", err))
		return
	}
	s.requests.WithLabelValues(routePath(r), string(CodeSuccess)).Inc()
	w.Header().Set("Content-Type", "audio/wav")
	http.ServeContent(w, r, st.Name(), st.ModTime(), rs)
}

func (s *Server) openLink(r *http.Request) (fs.File, error) {
	if s.records == nil {
		return nil, ErrNotImplemented
	}
	q := r.URL.Query()
	app, name, sig := q.Get("app"), q.Get("fileName"), q.Get("signature")
	exp, err := strconv.ParseInt(q.Get("expires"), 10, 64)
	if err != nil || !validRecordName(name) || s.now().Unix() > exp ||
		!hmac.Equal([]byte(sig), []byte(s.linkSignature(app, name, exp))) {
		return nil, ErrLinkInvalid
	}
	f, err := s.records.Open(app, name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrRecordingNotFound
	}
	return f, err
}
