package api

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"

	"github.com/xnum/xnum/routing"
)

// Limits of admin input [DESIGN]: keys and secrets end up in signature
// headers, so they are printable ASCII without quotes or commas.
const (
	maxAppKeyLen    = 64
	minAppSecretLen = 8
	maxAppSecretLen = 128
	maxExtLen       = 4 // AXE extensions are 1–4 digits (SPEC §3)
)

// appView is an app as the admin API shows it: the secret only in the answer
// that created it (SPEC §8).
type appView struct {
	App routing.App `json:"app"`
}

func viewApp(a routing.App, withSecret bool) appView {
	if !withSecret {
		a.Secret = ""
	}
	return appView{App: a}
}

// createApp is POST /admin/v1/apps (SPEC §8). appKey and appSecret are
// generated when absent.
func (s *Server) createApp(w http.ResponseWriter, r *http.Request) (any, error) {
	p, err := readParams(w, r, false)
	if err != nil {
		return nil, err
	}
	a := routing.App{AnswerBeforeCollect: true} // SPEC §4.3 default
	var ok bool
	if a.Key, ok, err = p.str("appKey"); err != nil {
		return nil, err
	} else if !ok || a.Key == "" {
		if a.Key, err = randomToken(12); err != nil {
			return nil, err
		}
	} else if !validKey(a.Key, 1, maxAppKeyLen) {
		return nil, fieldErr("appKey", "1-%d characters of letters, digits, '.', '_' or '-'", maxAppKeyLen)
	}
	if a.Secret, ok, err = p.str("appSecret"); err != nil {
		return nil, err
	} else if !ok || a.Secret == "" {
		if a.Secret, err = randomToken(24); err != nil {
			return nil, err
		}
	} else if !validSecret(a.Secret) {
		return nil, fieldErr("appSecret", "%d-%d printable characters without quotes, commas or spaces", minAppSecretLen, maxAppSecretLen)
	}
	mode, ok, err := p.str("mode")
	if err != nil {
		return nil, err
	}
	if a.Mode = routing.Mode(mode); !ok || !a.Mode.Valid() {
		return nil, fieldErr("mode", "must be one of AX, AXB, AXE, AXYB, X")
	}
	if err := applyAppFields(p, &a); err != nil {
		return nil, err
	}
	if err := s.st.CreateApp(a); err != nil {
		return nil, err
	}
	created, err := s.st.GetApp(a.Key)
	if err != nil {
		return nil, err
	}
	s.log.Info("app created", "appKey", a.Key, "mode", a.Mode)
	return viewApp(created, true), nil
}

// applyAppFields sets the optional fields present in p on a (create and
// update share them).
func applyAppFields(p params, a *routing.App) error {
	for _, f := range []struct {
		name string
		dst  *string
	}{{"statusUrl", &a.StatusURL}, {"feeUrl", &a.FeeURL}, {"callinUrl", &a.CallinURL}} {
		v, ok, err := p.str(f.name)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		if v != "" && !validURL(v) {
			return fieldErr(f.name, "must be an absolute http or https URL")
		}
		*f.dst = v
	}
	if v, ok, err := p.str("spId"); err != nil {
		return err
	} else if ok {
		if v != "" && !validKey(v, 1, maxAppKeyLen) {
			return fieldErr("spId", "1-%d characters of letters, digits, '.', '_' or '-'", maxAppKeyLen)
		}
		a.SPID = v
	}
	if v, ok, err := p.boolean("recording"); err != nil {
		return err
	} else if ok {
		a.Recording = v
	}
	if v, ok, err := p.boolean("answerBeforeCollect"); err != nil {
		return err
	} else if ok {
		a.AnswerBeforeCollect = v
	}
	ext, err := p.intIn("extLen", int64(a.ExtLen), 0, maxExtLen)
	if err != nil {
		return err
	}
	a.ExtLen = int(ext)
	if a.Mode == routing.ModeAXE && a.ExtLen == 0 {
		a.ExtLen = maxExtLen // [DESIGN] default extension length of an AXE app
	}
	return nil
}

// updateApp is PUT /admin/v1/apps/{appKey}: the fields present replace the
// stored ones (appSecret rotates the secret); the store refuses a mode
// change while the app has numbers.
func (s *Server) updateApp(w http.ResponseWriter, r *http.Request) (any, error) {
	p, err := readParams(w, r, false)
	if err != nil {
		return nil, err
	}
	a, err := s.st.GetApp(r.PathValue("appKey"))
	if err != nil {
		return nil, err
	}
	if v, ok, err := p.str("appSecret"); err != nil {
		return nil, err
	} else if ok {
		if !validSecret(v) {
			return nil, fieldErr("appSecret", "%d-%d printable characters without quotes, commas or spaces", minAppSecretLen, maxAppSecretLen)
		}
		a.Secret = v
	}
	if v, ok, err := p.str("mode"); err != nil {
		return nil, err
	} else if ok {
		if a.Mode = routing.Mode(v); !a.Mode.Valid() {
			return nil, fieldErr("mode", "must be one of AX, AXB, AXE, AXYB, X")
		}
	}
	if err := applyAppFields(p, &a); err != nil {
		return nil, err
	}
	if err := s.st.UpdateApp(a); err != nil {
		return nil, err
	}
	return s.getAppView(a.Key)
}

func (s *Server) getApp(_ http.ResponseWriter, r *http.Request) (any, error) {
	return s.getAppView(r.PathValue("appKey"))
}

func (s *Server) getAppView(key string) (any, error) {
	a, err := s.st.GetApp(key)
	if err != nil {
		return nil, err
	}
	return viewApp(a, false), nil
}

func (s *Server) listApps(_ http.ResponseWriter, _ *http.Request) (any, error) {
	apps, err := s.st.ListApps()
	if err != nil {
		return nil, err
	}
	out := make([]routing.App, 0, len(apps))
	for _, a := range apps {
		a.Secret = ""
		out = append(out, a)
	}
	return struct {
		Apps []routing.App `json:"apps"`
	}{out}, nil
}

func (s *Server) deleteApp(_ http.ResponseWriter, r *http.Request) (any, error) {
	key := r.PathValue("appKey")
	if err := s.st.DeleteApp(key); err != nil {
		return nil, err
	}
	s.log.Info("app deleted", "appKey", key)
	return nil, nil
}

// freezeApp serves /freeze and /unfreeze (SPEC §3: arrears; nothing is lost).
func (s *Server) freezeApp(frozen bool) adminHandler {
	return func(_ http.ResponseWriter, r *http.Request) (any, error) {
		key := r.PathValue("appKey")
		if err := s.st.SetFrozen(key, frozen); err != nil {
			return nil, err
		}
		s.log.Info("app frozen state", "appKey", key, "frozen", frozen)
		return s.getAppView(key)
	}
}

func validKey(s string, min, max int) bool {
	if len(s) < min || len(s) > max {
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

func validSecret(s string) bool {
	if len(s) < minAppSecretLen || len(s) > maxAppSecretLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= 0x20 || c >= 0x7f || c == '"' || c == ',' {
			return false
		}
	}
	return true
}

func validURL(v string) bool {
	u, err := url.Parse(v)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// randomToken returns n random bytes as URL-safe Base64 without padding.
func randomToken(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("random: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}
