package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/xnum/xnum/api"
	"github.com/xnum/xnum/cdr"
	"github.com/xnum/xnum/configs"
	"github.com/xnum/xnum/media"
	"github.com/xnum/xnum/routing"
	"github.com/xnum/xnum/sip"
	"github.com/xnum/xnum/store"
)

// daemon is one running xnum: every part built from one Config and wired
// here, with no package state, so tests can run several in one process.
type daemon struct {
	cfg configs.Config
	log *slog.Logger

	store      *store.Store
	recorder   *cdr.Recorder
	dispatcher *cdr.Dispatcher
	sip        *sip.Server
	media      *media.Engine
	prompts    *media.PromptLibrary
	http       *http.Server
	apiLn      net.Listener
	registry   *prometheus.Registry

	// draining turns /healthz to 503 once shutdown begins.
	draining atomic.Bool

	stopBG context.CancelFunc // ends the sweeper, CDR pruning and delivery
	bg     sync.WaitGroup
	served chan error // the HTTP server's end
}

// run starts a daemon from cfg, calls started (when not nil) once it is
// ready, and shuts it down cleanly when ctx ends. A nil error means a clean
// shutdown.
func run(ctx context.Context, cfg configs.Config, logger *slog.Logger, started func(*daemon)) error {
	d, err := start(ctx, cfg, logger)
	if err != nil {
		return err
	}
	if started != nil {
		started(d)
	}
	var failed error
	select {
	case <-ctx.Done():
		logger.Info("shutting down: draining calls", "drain_timeout", cfg.SIP.DrainTimeout)
	case err := <-d.served:
		failed = fmt.Errorf("api server: %w", err)
		logger.Error("API server failed; shutting down", "err", err)
	}
	if err := errors.Join(failed, d.shutdown()); err != nil {
		return err
	}
	logger.Info("xnum stopped cleanly")
	return nil
}

// start builds and starts every part. On failure it closes what it opened.
func start(ctx context.Context, cfg configs.Config, logger *slog.Logger) (_ *daemon, err error) {
	d := &daemon{cfg: cfg, log: logger, served: make(chan error, 1)}
	var closers []func()
	defer func() {
		if err != nil {
			for i := len(closers) - 1; i >= 0; i-- {
				closers[i]()
			}
		}
	}()

	plan, err := routing.NewPlan(cfg.PlanConfig())
	if err != nil {
		return nil, err
	}
	table := cfg.ReleaseTable()

	d.store, err = store.Open(cfg.Store.Dir, store.Options{Logger: logger})
	if err != nil {
		return nil, err
	}
	closers = append(closers, func() { _ = d.store.Close() })

	if cfg.Demo.Enabled {
		if err := api.ProvisionDemo(d.store, plan); err != nil {
			return nil, fmt.Errorf("provision demo: %w", err)
		}
	}

	d.registry = newRegistry()

	// CDRs: the recorder keeps each record locally and, in the same synced
	// write, queues it in the outbox for the app's feeUrl (SPEC §6.2); the
	// dispatcher pushes the outbox, signed with the app's secret.
	outbox, err := store.OpenOutbox(d.store)
	if err != nil {
		return nil, err
	}
	d.dispatcher, err = cdr.NewDispatcher(cdr.DispatcherDeps{
		Store:      outbox,
		Apps:       d.store.GetApp,
		Sign:       api.SignHeaders,
		Timeout:    cfg.Webhook.Timeout,
		Parallel:   cfg.Webhook.Parallel,
		Pipeline:   cfg.Webhook.Pipeline,
		Logger:     logger,
		Registerer: d.registry,
	})
	if err != nil {
		return nil, err
	}
	d.recorder, err = cdr.NewRecorderFile(d.dispatcher.RecorderStore(),
		cdr.FileOptions{Path: cfg.CDR.File, MaxSize: cfg.CDR.FileMaxSize, Keep: cfg.CDR.FileKeep}, logger)
	if err != nil {
		return nil, err
	}
	closers = append(closers, func() { _ = d.recorder.Close() })
	// Calls that were up when the previous run died get their CDR now,
	// before SIP takes new calls (SPEC §6.2; calls.go).
	if err := d.recoverCalls(table); err != nil {
		return nil, err
	}

	bgCtx, stopBG := context.WithCancel(context.WithoutCancel(ctx))
	d.stopBG = stopBG
	closers = append(closers, func() { stopBG(); d.bg.Wait() })
	d.startBackground(bgCtx)
	d.startHeartbeat(bgCtx)

	// Media: RTP relay and prompts (SPEC §4.3). The engine outlives SIP:
	// calls send their BYEs before they free their legs, and it closes
	// after SIP in shutdown.
	d.media, d.prompts, err = newMedia(cfg)
	if err != nil {
		return nil, err
	}
	closers = append(closers, d.media.Close)
	recDir, err := recordDir(cfg)
	if err != nil {
		return nil, err
	}
	apps, err := d.store.ListApps()
	if err != nil {
		return nil, fmt.Errorf("uploaded prompts: %w", err)
	}
	loadAppPrompts(apps, filepath.Join(cfg.Store.Dir, "prompts"), d.prompts, logger)
	d.runMedia(bgCtx)
	registerMediaMetrics(d.registry, d.media)

	// X mode: the callin request to the app's callinUrl, signed with the
	// app's secret like every webhook (SPEC §3, §6.1).
	callin, err := sip.NewCallinClient(sip.CallinConfig{Sign: api.SignRequest, Timeout: cfg.XMode.CallinTimeout})
	if err != nil {
		return nil, err
	}
	apiSrv := api.New(api.Deps{
		Store:      d.store,
		Outbox:     deadLetters{outbox, d.dispatcher},
		Prompts:    promptFiles{dir: filepath.Join(cfg.Store.Dir, "prompts"), lib: d.prompts},
		Records:    recordFiles{dir: recDir},
		Plan:       plan,
		Config:     cfg.API,
		Logger:     logger,
		Registerer: d.registry,
	})

	d.sip, err = sip.NewServer(sip.Deps{
		SIP:          cfg.SIP,
		Trunk:        cfg.Trunk,
		Plan:         plan,
		Table:        table,
		Lookup:       d.store,
		IsX:          d.isX,
		CDR:          d.recorder,
		Events:       d.dispatcher,
		Calls:        d.store,
		Media:        d.media,
		MediaMode:    cfg.Media.Mode,
		MediaAddr:    cfg.MediaAdvertise(),
		Prompts:      d.prompts,
		Callin:       callin,
		DTMF:         cfg.DTMF,
		RecordDir:    recDir,
		RecordDomain: cfg.API.Listen, // where recordings are fetched (SPEC §5)
		Registerer:   d.registry,
		Logger:       logger,
	})
	if err != nil {
		return nil, err
	}
	// SIP must outlive the signal: Start closes the server when its ctx
	// ends, and on SIGTERM Drain still needs it to finish calls. shutdown
	// closes it explicitly.
	if err := d.sip.Start(context.WithoutCancel(ctx)); err != nil {
		return nil, fmt.Errorf("start SIP on %s: %w", cfg.SIP.Listen, err)
	}
	closers = append(closers, func() { _ = d.sip.Close() })
	registerDaemonMetrics(d.registry, d)

	d.http = &http.Server{
		Handler:           d.routes(apiSrv.Handler()),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	if cfg.API.TLSCert != "" {
		// Loaded here, not in ServeTLS, so that a bad certificate stops
		// the start instead of the running server.
		cert, err := tls.LoadX509KeyPair(cfg.API.TLSCert, cfg.API.TLSKey)
		if err != nil {
			return nil, fmt.Errorf("api.tls_cert/api.tls_key: %w", err)
		}
		d.http.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	d.apiLn, err = net.Listen("tcp", cfg.API.Listen)
	if err != nil {
		return nil, fmt.Errorf("api.listen %s: %w", cfg.API.Listen, err)
	}
	go func() {
		var err error
		if d.http.TLSConfig != nil {
			err = d.http.ServeTLS(d.apiLn, "", "")
		} else {
			err = d.http.Serve(d.apiLn)
		}
		if !errors.Is(err, http.ErrServerClosed) {
			d.served <- err
		}
		close(d.served)
	}()
	d.logStarted()
	return d, nil
}

// isX is the SIP loop guard's question (SPEC §2). A store error answers
// "no": routing looks the number up again and fails the call with 7102.
func (d *daemon) isX(n routing.Number) bool {
	ok, err := d.store.IsX(n)
	if err != nil {
		d.log.Warn("IsX lookup failed", "number", n, "err", err)
	}
	return ok && err == nil
}

// APIURL is the base URL of the running HTTP API.
func (d *daemon) APIURL() string {
	scheme := "http"
	if d.cfg.API.TLSCert != "" {
		scheme = "https"
	}
	return scheme + "://" + d.apiLn.Addr().String()
}

// shutdown drains SIP (new INVITEs 503, calls may finish within
// sip.drain_timeout), stops HTTP, then closes the store last.
func (d *daemon) shutdown() error {
	d.draining.Store(true)
	// Drain ends the calls still up at sip.drain_timeout itself; the extra
	// time bounds their last BYEs.
	drainCtx, cancel := context.WithTimeout(context.Background(), d.cfg.SIP.DrainTimeout+15*time.Second)
	d.sip.Drain(drainCtx)
	cancel()

	var errs []error
	httpCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	if err := d.http.Shutdown(httpCtx); err != nil {
		errs = append(errs, fmt.Errorf("api shutdown: %w", err))
	}
	cancel()
	if err := d.sip.Close(); err != nil {
		errs = append(errs, fmt.Errorf("sip close: %w", err))
	}
	d.media.Close()
	d.stopBG()
	d.bg.Wait()
	if err := d.recorder.Close(); err != nil {
		errs = append(errs, fmt.Errorf("cdr file: %w", err))
	}
	if err := d.store.Close(); err != nil {
		errs = append(errs, fmt.Errorf("store close: %w", err))
	}
	return errors.Join(errs...)
}

// logStarted prints the one line an operator looks for: where SIP and the
// API listen, and (with the demo) the binding to call through.
func (d *daemon) logStarted() {
	attrs := []any{"sip", d.sip.Addr(), "api", d.APIURL(), "store", d.cfg.Store.Dir}
	if d.cfg.Demo.Enabled {
		// The demo binding of SPEC §8, masked like every number in the logs.
		attrs = append(attrs, "demo_app", api.DemoAppKey,
			"demo_binding", fmt.Sprintf("A %s <-> X %s <-> B %s",
				routing.Mask("+8613800000001"), routing.Mask("+8617000000000"), routing.Mask("+8613800000002")))
	}
	d.log.Info("xnum ready", attrs...)
}
