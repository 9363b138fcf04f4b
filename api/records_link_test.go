package api

import (
	"errors"
	"io/fs"
	"net/http/httptest"
	"net/url"
	"strconv"
	"testing"
	"testing/fstest"
	"time"
)

type mapRecords fstest.MapFS

func (m mapRecords) Open(app, name string) (fs.File, error) {
	return fstest.MapFS(m).Open(app + "/" + name)
}

// A download link works until it expires, for exactly its app and file.
func TestRecordingLinks(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	s := &Server{linkKey: newLinkKey(), now: func() time.Time { return now },
		records: mapRecords{"app1/a.wav": {Data: []byte("RIFF")}}}
	link := func(app, name string, exp int64, sig string) error {
		q := url.Values{"app": {app}, "fileName": {name}, "expires": {strconv.FormatInt(exp, 10)}, "signature": {sig}}
		f, err := s.openLink(httptest.NewRequest("GET", recordFilePath+"?"+q.Encode(), nil))
		if err == nil {
			f.Close()
		}
		return err
	}
	exp := now.Add(recordURLTTL).Unix()
	good := s.linkSignature("app1", "a.wav", exp)
	if err := link("app1", "a.wav", exp, good); err != nil {
		t.Fatalf("valid link: %v", err)
	}
	for name, err := range map[string]error{
		"other app":      link("app2", "a.wav", exp, good),
		"other file":     link("app1", "b.wav", exp, good),
		"later expiry":   link("app1", "a.wav", exp+60, good),
		"no signature":   link("app1", "a.wav", exp, ""),
		"not a wav":      link("app1", "a.txt", exp, s.linkSignature("app1", "a.txt", exp)),
		"path as a name": link("app1", "../x.wav", exp, s.linkSignature("app1", "../x.wav", exp)),
	} {
		if !errors.Is(err, ErrLinkInvalid) {
			t.Errorf("%s: %v, want ErrLinkInvalid", name, err)
		}
	}
	now = now.Add(recordURLTTL + time.Second)
	if err := link("app1", "a.wav", exp, good); !errors.Is(err, ErrLinkInvalid) {
		t.Errorf("expired link: %v", err)
	}
	for _, n := range []string{"a.wav", "0123abcd.wav", "x_y-z.1.wav"} {
		if !validRecordName(n) {
			t.Errorf("%q refused", n)
		}
	}
	for _, n := range []string{".wav", ".a.wav", "a/b.wav", "a.WAV", "a.wav\n", ""} {
		if validRecordName(n) {
			t.Errorf("%q accepted", n)
		}
	}
}
