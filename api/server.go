package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/xnum/xnum/configs"
	"github.com/xnum/xnum/routing"
)

// Deps is everything the API needs; cmd wires it.
type Deps struct {
	Store Store         // required
	Plan  *routing.Plan // required: normalises every number of a request
	// Config supplies auth_window (0 = 300 s), admin_token (empty = the admin
	// API refuses everyone) and rate_limit (≤ 0 = unlimited).
	Config configs.API
	// Now is the clock for signatures, rate limits and expiry; nil = time.Now.
	Now    func() time.Time
	Logger *slog.Logger // nil = slog.Default()
	// Registerer receives the API metrics; nil = not registered.
	Registerer prometheus.Registerer
	// IsPrompt tells whether a prompt name exists for an app (SPEC §5: built-in
	// or uploaded). Nil = the built-in set (routing.BuiltinPrompts); names in
	// the app's own Prompts map are always accepted.
	IsPrompt func(app, name string) bool
	// MaxNonces bounds the replay memory; 0 = 500 000 entries.
	MaxNonces int
	// Outbox serves the dead-letter endpoints (outbox.go); nil answers them
	// 1010501.
	Outbox DeadLetters
	// Prompts keeps uploaded prompts (prompts.go); nil answers the upload
	// 1010501.
	Prompts PromptUploads
	// Records serves recording downloads (records.go); nil answers them
	// 1010501.
	Records RecordFiles
}

// Server serves the management API (SPEC §5) and the admin API (SPEC §8).
type Server struct {
	st         Store
	plan       *routing.Plan
	now        func() time.Time
	log        *slog.Logger
	isPrompt   func(app, name string) bool
	window     time.Duration
	adminToken string
	nonces     *nonceCache
	limiters   *limiters
	requests   *prometheus.CounterVec
	mux        *http.ServeMux
	dead       DeadLetters
	prompts    PromptUploads
	records    RecordFiles
	linkKey    []byte // signs recording download links
}

// defaultAuthWindow is api.auth_window's default (SPEC §5, ±300 s).
const defaultAuthWindow = 300 * time.Second

// New builds the server and its routes.
func New(d Deps) *Server {
	s := &Server{
		st:         d.Store,
		plan:       d.Plan,
		now:        d.Now,
		log:        d.Logger,
		isPrompt:   d.IsPrompt,
		window:     d.Config.AuthWindow,
		adminToken: d.Config.AdminToken,
		nonces:     newNonceCache(d.MaxNonces),
		limiters:   newLimiters(d.Config.RateLimit),
		mux:        http.NewServeMux(),
		dead:       d.Outbox,
		prompts:    d.Prompts,
		records:    d.Records,
		linkKey:    newLinkKey(),
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	s.log = s.log.With("component", "api")
	if s.isPrompt == nil {
		s.isPrompt = func(_, name string) bool { return slices.Contains(routing.BuiltinPrompts, name) }
	}
	if s.window <= 0 {
		s.window = defaultAuthWindow
	}
	s.requests = registerCounter(d.Registerer, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "xnum_api_requests_total",
		Help: "API requests answered, by route path and resultcode.",
	}, []string{"path", "resultcode"}))
	s.routes()
	return s
}

// registerCounter registers c, or reuses the collector already registered
// under the same name (two servers in one process share a registry).
func registerCounter(reg prometheus.Registerer, c *prometheus.CounterVec) *prometheus.CounterVec {
	if reg == nil {
		return c
	}
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(*prometheus.CounterVec); ok {
				return existing
			}
		}
	}
	return c
}

// Handler serves /rest/… and /admin/v1/…; cmd mounts /metrics and /healthz
// beside it.
func (s *Server) Handler() http.Handler { return s.mux }

// restHandler is one /rest/… operation, called once the request is
// authenticated and admitted, with its parameters read.
type restHandler func(r *http.Request, app routing.App, p params) (any, error)

// rest wraps h with SPEC §5 authentication and the app checks. withQuery:
// the operation takes query-string parameters (GET, DELETE).
func (s *Server) rest(chk appCheck, withQuery bool, h restHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		app, err := s.authenticate(r)
		if err == nil {
			err = s.admit(app, chk)
		}
		var payload any
		if err == nil {
			var p params
			if p, err = readParams(w, r, withQuery); err == nil {
				payload, err = h(r, app, p)
			}
		}
		s.reply(w, r, payload, err)
	}
}

// adminHandler is one /admin/v1/… operation, called once the token is right.
type adminHandler func(w http.ResponseWriter, r *http.Request) (any, error)

func (s *Server) admin(h adminHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var payload any
		err := s.checkAdmin(r)
		if err == nil {
			payload, err = h(w, r)
		}
		s.reply(w, r, payload, err)
	}
}

// reply writes the SPEC §5 envelope {"resultcode","resultdesc"} with the
// payload's fields beside it, counts the answer, and logs internal errors.
func (s *Server) reply(w http.ResponseWriter, r *http.Request, payload any, err error) {
	code, desc := CodeSuccess, CodeSuccess.Desc()
	if err != nil {
		code, desc = classify(mapStoreErr(err))
		payload = nil
		if code == CodeInternal {
			s.log.Error("request failed", "method", r.Method, "path", routePath(r), "err", maskDigits(err.Error()))
		}
	}
	s.requests.WithLabelValues(routePath(r), string(code)).Inc()
	body, mErr := envelope(code, desc, payload)
	if mErr != nil {
		s.log.Error("encode answer", "path", routePath(r), "err", mErr)
		code = CodeInternal
		body, _ = envelope(code, code.Desc(), nil)
	}
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(code.HTTPStatus())
	_, _ = w.Write(body)
}

// envelope renders {"resultcode":…,"resultdesc":…} followed by the fields
// of payload (which must encode as a JSON object), resultcode first as
// vendor clients print it.
func envelope(code Code, desc string, payload any) ([]byte, error) {
	head, err := json.Marshal(struct {
		ResultCode Code   `json:"resultcode"`
		ResultDesc string `json:"resultdesc"`
	}{code, desc})
	if err != nil || payload == nil {
		return head, err
	}
	p, err := json.Marshal(payload)
	if err != nil {
		return nil, err
	}
	p = bytes.TrimSpace(p)
	if len(p) < 2 || p[0] != '{' {
		return nil, errors.New("payload is no JSON object")
	}
	if inner := bytes.TrimSpace(p[1 : len(p)-1]); len(inner) > 0 {
		head = append(head[:len(head)-1], ',')
		head = append(head, inner...)
		head = append(head, '}')
	}
	return head, nil
}

// routePath is the matched pattern's path (bounded label cardinality).
func routePath(r *http.Request) string {
	if _, path, ok := strings.Cut(r.Pattern, " "); ok {
		return path
	}
	if r.Pattern != "" {
		return r.Pattern
	}
	return "unmatched"
}

var longDigits = regexp.MustCompile(`\+?[0-9]{7,}`)

// maskDigits hides the middle of every long digit run in a log text: errors
// from below may quote a number, and logs never carry a full one.
func maskDigits(s string) string {
	return longDigits.ReplaceAllStringFunc(s, routing.Mask)
}
