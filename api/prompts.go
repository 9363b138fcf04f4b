package api

import (
	"errors"
	"io"
	"net/http"

	"github.com/xnum/xnum/media"
)

// PromptUploads keeps an app's own prompts (SPEC §4.3, §8: PUT
// /admin/v1/apps/{appKey}/prompts/{name} with a WAV body). cmd implements
// it on the media prompt library and files beside the store.
type PromptUploads interface {
	// UploadPrompt checks wav (8 kHz mono A-law, μ-law or 16-bit PCM; else
	// an error wrapping media.ErrBadPrompt), stores it, makes it play for
	// the app's calls from now on, and returns the stored file's name.
	UploadPrompt(appKey, name string, wav []byte) (file string, err error)
}

// promptAnswer is the upload's payload beside the envelope.
type promptAnswer struct {
	Prompt  string `json:"prompt"`
	AppKey  string `json:"appKey"`
	Seconds string `json:"duration"`
}

// uploadPrompt is PUT /admin/v1/apps/{appKey}/prompts/{name}: the body is
// the WAV file. A name outside [a-z0-9_-]{1,64} ("none" is reserved) or a
// file that is not 8 kHz mono WAV → 1010002 naming the field. The name is
// recorded in the app's prompts, so bindings may use it (preVoice,
// lastMinVoice, recordHintTone).
func (s *Server) uploadPrompt(w http.ResponseWriter, r *http.Request) (any, error) {
	if s.prompts == nil {
		return nil, ErrNotImplemented
	}
	app, err := s.st.GetApp(r.PathValue("appKey"))
	if err != nil {
		return nil, err
	}
	name := r.PathValue("name")
	if err := media.ValidPromptName(name); err != nil {
		return nil, fieldErr("name", "1-64 characters of a-z, 0-9, _ and -, not none")
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, media.MaxPromptBytes+1024))
	if err != nil {
		return nil, fieldErr("body", "larger than %d bytes", media.MaxPromptBytes)
	}
	p, err := media.ParseWAV(body)
	if err != nil {
		return nil, fieldErr("body", "not an 8 kHz mono WAV (A-law, μ-law or 16-bit PCM)")
	}
	file, err := s.prompts.UploadPrompt(app.Key, name, body)
	if errors.Is(err, media.ErrBadPrompt) {
		return nil, fieldErr("body", "not an 8 kHz mono WAV (A-law, μ-law or 16-bit PCM)")
	}
	if err != nil {
		return nil, err
	}
	if app.Prompts == nil {
		app.Prompts = map[string]string{}
	}
	if app.Prompts[name] != file {
		app.Prompts[name] = file
		if err := s.st.UpdateApp(app); err != nil {
			return nil, err
		}
	}
	s.log.Info("prompt uploaded", "appKey", app.Key, "prompt", name, "duration", p.Duration())
	return promptAnswer{Prompt: name, AppKey: app.Key, Seconds: p.Duration().String()}, nil
}
