package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"
)

// recordPath is the recording download of SPEC §5 [HW]: a signed GET with
// fileName answers 301, Location = a short-lived signed link to the WAV.
const recordPath = "/rest/provision/voice/record/v1.0"

// downloadTimeout bounds fetching one recording behind its link; a call of
// sip.max_call_duration (4 h) is about 230 MB of 8 kHz 16-bit audio.
const downloadTimeout = 10 * time.Minute

// recordFlags are the values of `xnum record`'s flags.
type recordFlags struct {
	aksk akskFlags
	out  string
}

// newRecordCmd is `xnum record FILENAME`: the recording download of the
// management API, signed with the app's credentials like `xnum bind`. It
// prints the 301's Location and, with -o, saves the WAV behind it.
func newRecordCmd() *cobra.Command {
	f := &recordFlags{}
	cmd := &cobra.Command{
		Use:   "record FILENAME --app-key KEY --app-secret SECRET [-o FILE]",
		Short: "Get a recording's download link (management API, X-AKSK signed); -o saves the WAV",
		Long: "Sends GET " + recordPath + "?fileName=FILENAME signed as the app (SPEC §5). FILENAME is\n" +
			"the recordObjectName of the call's CDR (<sessionId>.wav); only the app that owns the recording\n" +
			"gets it (another app's or an unknown name: 1016001). The answer is a 301 whose Location, a signed\n" +
			"link valid for 5 minutes, is printed on stdout; with -o the WAV behind it is saved to FILE.",
		Example: "  xnum record 9f0c1d2e3b4a5968.wav --app-key demo --app-secret demo-secret\n" +
			"  xnum record 9f0c1d2e3b4a5968.wav --app-key demo --app-secret demo-secret -o call.wav",
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error { return f.run(c, args[0]) },
	}
	f.aksk.register(cmd.Flags())
	cmd.Flags().StringVarP(&f.out, "output", "o", "", "save the recording to this file (written whole, or not at all)")
	return cmd
}

func (f *recordFlags) run(c *cobra.Command, fileName string) error {
	cl, err := f.aksk.client(c)
	if err != nil {
		return err
	}
	loc, err := cl.location(c.Context(), recordPath, url.Values{"fileName": {fileName}})
	if err != nil {
		return err
	}
	if _, err := fmt.Fprintln(c.OutOrStdout(), loc); err != nil {
		return err
	}
	if f.out == "" {
		return nil
	}
	n, err := cl.download(c.Context(), loc, f.out)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.ErrOrStderr(), "saved %d bytes to %s\n", n, f.out)
	return nil
}

// location sends one signed GET that must answer 301 and returns its
// Location, resolved against the request, without following it: the link
// is what the vendor's clients expect, and printing it is the point.
func (c *apiClient) location(ctx context.Context, path string, query url.Values) (string, error) {
	u := *c.base
	u.Path = c.base.Path + path
	u.RawQuery = query.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return "", err
	}
	if err := c.sign(req); err != nil {
		return "", err
	}
	hc := *c.http
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := hc.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusMovedPermanently {
		if resp.StatusCode >= 200 && resp.StatusCode <= 299 {
			return "", fmt.Errorf("HTTP %d: want 301 with a Location", resp.StatusCode)
		}
		return "", answerError(resp.StatusCode, raw)
	}
	loc, err := resp.Location()
	if err != nil {
		return "", fmt.Errorf("HTTP 301 without a usable Location: %w", err)
	}
	return loc.String(), nil
}

// download GETs link (signed in itself: no credentials are sent) and
// writes the body to path through a temporary file in the same directory,
// so path is either the whole recording or untouched.
func (c *apiClient) download(ctx context.Context, link, path string) (n int64, err error) {
	ctx, cancel := context.WithTimeout(ctx, downloadTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, link, nil)
	if err != nil {
		return 0, err
	}
	hc := *c.http
	hc.Timeout = 0 // the context bounds the whole download
	resp, err := hc.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		return 0, answerError(resp.StatusCode, raw)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return 0, err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if n, err = io.Copy(tmp, resp.Body); err != nil {
		return 0, fmt.Errorf("download: %w", err)
	}
	if resp.ContentLength >= 0 && n != resp.ContentLength {
		err = fmt.Errorf("download: got %d of %d bytes", n, resp.ContentLength)
		return 0, err
	}
	if err = tmp.Sync(); err != nil {
		return 0, err
	}
	if err = tmp.Close(); err != nil {
		return 0, err
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return 0, err
	}
	return n, nil
}
