package main

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/xnum/xnum/configs"
	"github.com/xnum/xnum/media"
	"github.com/xnum/xnum/routing"
)

// newMedia builds the RTP engine of media.* and the prompt library: the
// prompts embedded in the binary, then media.prompt_dir over them. A
// built-in prompt missing after that stops the start (SPEC §4.3: the
// default set ships with xnum).
func newMedia(cfg configs.Config) (*media.Engine, *media.PromptLibrary, error) {
	lo, hi, err := cfg.RTPPortRange()
	if err != nil {
		return nil, nil, err
	}
	latch, err := media.ParseLatching(cfg.Media.Latching)
	if err != nil {
		return nil, nil, err
	}
	addr, err := netip.ParseAddr(cfg.Media.Address)
	if err != nil {
		return nil, nil, fmt.Errorf("media.address: %w", err)
	}
	eng, err := media.NewEngine(media.Config{
		Address:    addr,
		PortMin:    lo,
		PortMax:    hi,
		Quarantine: cfg.Media.Quarantine,
		Latching:   latch,
		Timeout:    cfg.Media.Timeout,
	})
	if err != nil {
		return nil, nil, err
	}
	builtin, err := media.BuiltinPrompts()
	if err != nil {
		return nil, nil, fmt.Errorf("built-in prompts: %w", err)
	}
	if dir := cfg.Media.PromptDir; dir != "" {
		if err := builtin.LoadDir(dir); err != nil {
			return nil, nil, fmt.Errorf("media.prompt_dir: %w", err)
		}
	}
	if m := builtin.Missing(routing.BuiltinPrompts...); len(m) > 0 {
		return nil, nil, fmt.Errorf("built-in prompts missing: %v", m)
	}
	return eng, media.NewPromptLibrary(builtin), nil
}

// runMedia sweeps RTP timeouts, and deletes recordings older than
// record.retention (at start, then hourly), until ctx ends.
func (d *daemon) runMedia(ctx context.Context) {
	d.bg.Add(2)
	go func() {
		defer d.bg.Done()
		d.media.Run(ctx)
	}()
	go func() {
		defer d.bg.Done()
		t := time.NewTicker(time.Hour)
		defer t.Stop()
		for {
			if n, err := pruneRecordings(d.cfg.Record.Dir, time.Now().Add(-d.cfg.Record.Retention)); err != nil {
				d.log.Warn("recording pruning failed", "err", err)
			} else if n > 0 {
				d.log.Info("pruned old recordings", "count", n, "retention", d.cfg.Record.Retention)
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
}

// recordDir makes sure record.dir exists (recordings are written there,
// SPEC §4.3).
func recordDir(cfg configs.Config) (string, error) {
	dir := cfg.Record.Dir
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return "", fmt.Errorf("record.dir: %w", err)
	}
	return dir, nil
}

// pruneRecordings deletes the recordings (<dir>/<appKey>/*.wav) last
// written before cutoff and returns how many went.
func pruneRecordings(dir string, cutoff time.Time) (int, error) {
	n := 0
	err := filepath.WalkDir(dir, func(path string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() || !strings.HasSuffix(e.Name(), ".wav") {
			return nil // an unreadable folder is skipped, not fatal
		}
		info, err := e.Info()
		if err == nil && info.ModTime().Before(cutoff) && os.Remove(path) == nil {
			n++
		}
		return nil
	})
	return n, err
}

// recordFiles serves recordings to the API (api.RecordFiles): the
// recording fileName of app is <record.dir>/<appKey>/<fileName>.
type recordFiles struct{ dir string }

// Open implements api.RecordFiles. Names that are paths are refused as not
// found.
func (f recordFiles) Open(appKey, fileName string) (fs.File, error) {
	if appKey == "" || appKey == "." || appKey == ".." || strings.ContainsAny(appKey+fileName, `/\`) {
		return nil, fs.ErrNotExist
	}
	return os.Open(filepath.Join(f.dir, appKey, fileName))
}

// registerMediaMetrics exports the engine's counters and ports.
func registerMediaMetrics(r *prometheus.Registry, eng *media.Engine) {
	counter := func(name, help string, f func(media.LegStats) uint64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help},
			func() float64 { return float64(f(eng.Stats())) })
	}
	r.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "xnum_media_legs",
			Help: "Open RTP legs (two per relayed call)."}, func() float64 { return float64(eng.Legs()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "xnum_media_ports_in_use",
			Help: "RTP/RTCP port pairs handed out (quarantined ones not counted)."},
			func() float64 { return float64(eng.Ports().InUse()) }),
		counter("xnum_media_rtp_received_total", "RTP packets accepted from parties.",
			func(s media.LegStats) uint64 { return s.RTPIn }),
		counter("xnum_media_rtcp_received_total", "RTCP packets accepted (terminated, never forwarded).",
			func(s media.LegStats) uint64 { return s.RTCPIn }),
		counter("xnum_media_foreign_dropped_total", "Packets dropped because of their source address.",
			func(s media.LegStats) uint64 { return s.Foreign }),
		counter("xnum_media_forwarded_total", "RTP packets relayed from one leg to the other.",
			func(s media.LegStats) uint64 { return s.Forwarded }),
		counter("xnum_media_played_total", "Local audio frames sent (prompts, ringback).",
			func(s media.LegStats) uint64 { return s.Played }),
	)
}

// promptFiles keeps uploaded prompts (api.PromptUploads): the WAV as sent,
// in <store.dir>/prompts/<appKey>/<name>.wav, and the decoded prompt in the
// app's set of the library, where calls find it at once. At start-up
// loadAppPrompts puts every app's files back into the library.
type promptFiles struct {
	dir string
	lib *media.PromptLibrary
}

// UploadPrompt implements api.PromptUploads. The file is written to a
// temporary name, synced and renamed, so a crash leaves the old prompt or
// the new one, never half a file.
func (f promptFiles) UploadPrompt(appKey, name string, wav []byte) (string, error) {
	if err := media.ValidPromptName(name); err != nil {
		return "", err
	}
	p, err := media.ParseWAV(wav)
	if err != nil {
		return "", err
	}
	if strings.ContainsAny(appKey, `/\`) || appKey == "" || appKey == "." || appKey == ".." {
		return "", fmt.Errorf("%w: app key %q as a directory", media.ErrBadPrompt, appKey)
	}
	dir := filepath.Join(f.dir, appKey)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return "", err
	}
	file := name + ".wav"
	tmp, err := os.CreateTemp(dir, "."+name+"-*.tmp")
	if err != nil {
		return "", err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(wav); err != nil {
		tmp.Close()
		return "", err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return "", err
	}
	if err := tmp.Close(); err != nil {
		return "", err
	}
	if err := os.Rename(tmp.Name(), filepath.Join(dir, file)); err != nil {
		return "", err
	}
	f.lib.App(appKey).Put(name, p)
	return file, nil
}

// loadAppPrompts loads the uploaded prompts every app lists into the
// library. A missing or broken file is logged and skipped: the built-in
// prompt of that name, if any, plays instead.
func loadAppPrompts(apps []routing.App, dir string, lib *media.PromptLibrary, log *slog.Logger) {
	for _, a := range apps {
		for name, file := range a.Prompts {
			raw, err := os.ReadFile(filepath.Join(dir, a.Key, filepath.Base(file)))
			if err == nil {
				var p *media.Prompt
				if p, err = media.ParseWAV(raw); err == nil {
					lib.App(a.Key).Put(name, p)
					continue
				}
			}
			log.Warn("uploaded prompt not loaded", "appKey", a.Key, "prompt", name, "err", err)
		}
	}
}
