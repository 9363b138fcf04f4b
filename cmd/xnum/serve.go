package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/xnum/xnum/configs"
	"github.com/xnum/xnum/sip"
)

// newServeCmd is `xnum serve`: load and check the config, then run the daemon
// until SIGTERM or SIGINT.
func newServeCmd(environ []string, stderr io.Writer) *cobra.Command {
	var path string
	cmd := &cobra.Command{
		Use:   "serve [--config FILE]",
		Short: "Run the xnum daemon (SIP B2BUA + HTTP API)",
		Long: "Run the daemon. Without --config it reads " + configs.DefaultPath + " when present, else the\n" +
			"built-in defaults. Every key can be overridden by XNUM_<KEY> (dots as underscores),\n" +
			"e.g. XNUM_SIP_LISTEN=0.0.0.0:5060.",
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			cfg, err := configs.Load(path, environ)
			if err != nil {
				return &exitError{code: 2, err: fmt.Errorf("config: %w", err)}
			}
			logger, err := newLogger(cfg.Log, stderr)
			if err != nil {
				return &exitError{code: 2, err: fmt.Errorf("config: %w", err)}
			}
			// One daemon a process: sipgo's process-wide transaction timers
			// can follow sip.t1 (docs/SIP.md "Timers").
			sip.SetStackTimers(cfg.SIP.T1)
			ctx, stop := signal.NotifyContext(c.Context(), syscall.SIGTERM, syscall.SIGINT)
			defer stop()
			// After the first signal the default action is back: a second
			// Ctrl-C ends a drain that takes too long at once.
			go func() { <-ctx.Done(); stop() }()
			hup := make(chan os.Signal, 1)
			signal.Notify(hup, syscall.SIGHUP)
			defer signal.Stop(hup)
			go logSIGHUP(ctx, hup, logger)
			if err := run(ctx, cfg, logger, nil); err != nil {
				logger.Error("xnum failed", "err", err)
				return err
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&path, "config", "", "config file (YAML; default "+configs.DefaultPath+" if present)")
	return cmd
}

// logSIGHUP answers SIGHUP until ctx ends. Reload is not built yet; the
// signal must not kill the daemon meanwhile (its default action would).
func logSIGHUP(ctx context.Context, hup <-chan os.Signal, logger *slog.Logger) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			logger.Warn("SIGHUP: reload not supported yet; restart xnum to apply a new config")
		}
	}
}
