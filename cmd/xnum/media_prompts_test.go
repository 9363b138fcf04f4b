package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/xnum/xnum/media"
	"github.com/xnum/xnum/routing"
)

// wav16 is an 8 kHz (or rate) mono 16-bit PCM WAV of n samples.
func wav16(rate, channels, n int) []byte {
	data := make([]byte, 2*n*channels)
	for i := range n * channels {
		binary.LittleEndian.PutUint16(data[2*i:], uint16(int16((i%80)*300-12000)))
	}
	var b bytes.Buffer
	le := func(v any) { binary.Write(&b, binary.LittleEndian, v) }
	b.WriteString("RIFF")
	le(uint32(36 + len(data)))
	b.WriteString("WAVEfmt ")
	le(uint32(16))
	le(uint16(1))
	le(uint16(channels))
	le(uint32(rate))
	le(uint32(rate * 2 * channels))
	le(uint16(2 * channels))
	le(uint16(16))
	b.WriteString("data")
	le(uint32(len(data)))
	b.Write(data)
	return b.Bytes()
}

func putPrompt(t *testing.T, base, app, name string, body []byte) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPut, base+"/admin/v1/apps/"+app+"/prompts/"+name, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+testToken)
	req.Header.Set("Content-Type", "audio/wav")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var env struct {
		Code string `json:"resultcode"`
	}
	json.Unmarshal(raw, &env)
	return resp.StatusCode, env.Code
}

// TestPromptUpload: PUT /admin/v1/apps/{appKey}/prompts/{name} (SPEC §8)
// takes an 8 kHz mono WAV, which then plays for that app's calls and not for
// others; anything else is 1010002; uploads survive a restart.
func TestPromptUpload(t *testing.T) {
	cfg := testConfig(t)
	d, stop := startDaemon(t, cfg)
	base := d.APIURL()
	good := wav16(8000, 1, 1600)
	for _, tc := range []struct {
		name, prompt string
		body         []byte
		status       int
		code         string
	}{
		{"16 kHz", "welcome", wav16(16000, 1, 1600), 400, "1010002"},
		{"stereo", "welcome", wav16(8000, 2, 1600), 400, "1010002"},
		{"not a wav", "welcome", []byte("ID3 an mp3, really"), 400, "1010002"},
		{"reserved name", "none", good, 400, "1010002"},
		{"bad name", "Welcome", good, 400, "1010002"},
		{"unknown app", "welcome", good, 0, ""},
		{"good", "welcome", good, 200, "0"},
		{"shadow a built-in", "no_binding", good, 200, "0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			app := "demo"
			if tc.name == "unknown app" {
				app = "nosuchapp"
			}
			status, code := putPrompt(t, base, app, tc.prompt, tc.body)
			if tc.status == 0 {
				if status == 200 || code == "0" {
					t.Fatalf("upload to an unknown app accepted")
				}
				return
			}
			if status != tc.status || code != tc.code {
				t.Fatalf("HTTP %d %s, want %d %s", status, code, tc.status, tc.code)
			}
		})
	}
	want, _ := media.ParseWAV(good)
	if p, ok := d.prompts.Prompt("demo", "welcome"); !ok || !bytes.Equal(p.Payload(media.PCMU), want.Payload(media.PCMU)) {
		t.Fatal("uploaded prompt does not play for the app")
	}
	if _, ok := d.prompts.Prompt("other", "welcome"); ok {
		t.Fatal("one app's prompt plays for another")
	}
	if p, _ := d.prompts.Prompt("other", "no_binding"); p == nil || bytes.Equal(p.Payload(media.PCMU), want.Payload(media.PCMU)) {
		t.Fatal("an app's upload replaced the built-in prompt for every app")
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	d2, _ := startDaemon(t, cfg)
	if p, ok := d2.prompts.Prompt("demo", "welcome"); !ok || !bytes.Equal(p.Payload(media.PCMU), want.Payload(media.PCMU)) {
		t.Fatal("uploaded prompt lost at restart")
	}
}

// TestRecordingDownload: GET /rest/provision/voice/record/v1.0?fileName=…
// signed by the owning app answers 301 with a short-lived signed link that
// serves the WAV; another app gets 1016001 for the same name; a tampered
// link is refused (SPEC §5).
func TestRecordingDownload(t *testing.T) {
	cfg := testConfig(t)
	d, _ := startDaemon(t, cfg)
	if err := d.store.CreateApp(routing.App{Key: "other", Secret: "other-secret", Mode: routing.ModeAX}); err != nil {
		t.Fatal(err)
	}
	const name = "0123456789abcdef.wav"
	wav := wav16(8000, 1, 800)
	if err := os.MkdirAll(filepath.Join(cfg.Record.Dir, "demo"), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(cfg.Record.Dir, "demo", name), wav, 0o640); err != nil {
		t.Fatal(err)
	}
	get := func(app, secret, fileName string) *http.Response {
		t.Helper()
		return askRecording(t, d.APIURL(), app, secret, fileName)
	}
	resp := get(demoApp, demoSecret, name)
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusMovedPermanently || loc == "" {
		t.Fatalf("owner: HTTP %d Location %q", resp.StatusCode, loc)
	}
	file, body := followRecording(t, loc)
	if file.StatusCode != 200 || file.Header.Get("Content-Type") != "audio/wav" || !bytes.Equal(body, wav) {
		t.Fatalf("link: HTTP %d %s, %d bytes", file.StatusCode, file.Header.Get("Content-Type"), len(body))
	}
	if resp := get("other", "other-secret", name); resp.StatusCode != http.StatusNotFound {
		t.Errorf("another app: HTTP %d, want 404 (1016001)", resp.StatusCode)
	}
	if resp := get(demoApp, demoSecret, "../demo/"+name); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("a path as fileName: HTTP %d, want 400", resp.StatusCode)
	}
	u, _ := url.Parse(loc)
	q := u.Query()
	q.Set("app", "other")
	u.RawQuery = q.Encode()
	if r, err := noFollow.Get(u.String()); err != nil || r.StatusCode != http.StatusUnauthorized {
		t.Errorf("tampered link: %v %v", r.StatusCode, err)
	}
}

// noFollow is an HTTP client that hands back a 301 instead of following it.
var noFollow = &http.Client{Timeout: 10 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// askRecording asks the recording download API (SPEC §5), signed X-AKSK
// as appKey, for fileName; the answer is not followed.
func askRecording(t *testing.T, apiURL, appKey, secret, fileName string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, apiURL+"/rest/provision/voice/record/v1.0?fileName="+url.QueryEscape(fileName), nil)
	for k, v := range akskHeaders(appKey, secret, time.Now()) {
		req.Header[k] = v
	}
	resp, err := noFollow.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// followRecording fetches a download link and returns its answer and body.
func followRecording(t *testing.T, link string) (*http.Response, []byte) {
	t.Helper()
	file, err := noFollow.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(file.Body)
	file.Body.Close()
	return file, body
}
