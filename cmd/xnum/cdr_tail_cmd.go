package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/xnum/xnum/cdr"
)

// newCDRTailCmd is `xnum cdr tail`: follows live CDRs by polling the admin
// API (GET /admin/v1/cdrs?since=…), and prints each new record once, as one
// JSON line, oldest first, until SIGINT or SIGTERM.
//
// Why the API and not cdr.file: it works from any host with the admin token,
// whether cdr.file is set or not, needs no access to the daemon's disk, and
// is not disturbed by the file's rotation. The query's since compares with
// the time the daemon stored each record (the call's end); each poll asks
// from the previous poll's start minus --overlap (records committed just
// after a poll began, a clock step), and icids already printed within that
// window are skipped, so a record is printed once.
func newCDRTailCmd(cf *clientFlags) *cobra.Command {
	var appKey, bindNum, callerNum, subID, since string
	var interval, overlap time.Duration
	cmd := &cobra.Command{
		Use:   "tail",
		Short: "Follow live CDRs (polls the admin API), one JSON line each, until interrupted",
		Args:  cobra.NoArgs,
		Example: "  xnum cdr tail --app-key demo\n" +
			"  xnum cdr tail --since 2026-11-27T06:00:00Z | jq .ulFailReason",
		RunE: func(c *cobra.Command, _ []string) error {
			cl, err := cf.client(c)
			if err != nil {
				return err
			}
			from := time.Now()
			if since != "" {
				if from, err = time.Parse(time.RFC3339, since); err != nil {
					return fmt.Errorf("--since %q: want RFC 3339, e.g. 2026-11-27T06:00:00Z", since)
				}
			}
			q := url.Values{}
			for k, v := range map[string]string{"appKey": appKey, "bindNum": bindNum,
				"callerNum": callerNum, "subscriptionId": subID} {
				if v != "" {
					q.Set(k, v)
				}
			}
			ctx, stop := signal.NotifyContext(c.Context(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			t := &tailer{cl: cl, query: q, out: c.OutOrStdout(), errOut: c.ErrOrStderr(), from: from, overlap: overlap,
				seen: map[string]time.Time{}}
			return t.run(ctx, interval)
		},
	}
	f := cmd.Flags()
	f.StringVar(&appKey, "app-key", "", "only this app")
	f.StringVar(&bindNum, "bind-num", "", "only calls to this X (E.164)")
	f.StringVar(&callerNum, "caller-num", "", "only calls from this number (E.164)")
	f.StringVar(&subID, "subscription-id", "", "only this binding")
	f.StringVar(&since, "since", "", "also print records stored from this time (RFC 3339); default now")
	f.DurationVar(&interval, "interval", time.Second, "time between polls")
	f.DurationVar(&overlap, "overlap", 10*time.Second, "each poll looks this far before the previous one")
	return cmd
}

type tailer struct {
	cl      *apiClient
	query   url.Values
	out     io.Writer
	errOut  io.Writer // failed polls, which are retried
	from    time.Time // nothing stored before this is printed
	overlap time.Duration
	seen    map[string]time.Time // icid → start of the poll that printed it
}

// run polls until ctx ends (a signal: exit 0). A failed poll (no answer,
// 5xx) is reported on stderr and retried at the next tick: the daemon may be
// restarting; a 4xx ends the command.
func (t *tailer) run(ctx context.Context, interval time.Duration) error {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	next := t.from
	for {
		started := time.Now()
		if err := t.poll(ctx, next, started); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			var ae *apiError
			if errors.As(err, &ae) && ae.status >= 400 && ae.status < 500 {
				return err // a bad token or filter does not get better
			}
			_, _ = fmt.Fprintln(t.errOut, "xnum cdr tail:", err) // stdout stays JSON only
		} else {
			next = started.Add(-t.overlap)
			if next.Before(t.from) {
				next = t.from
			}
			for icid, at := range t.seen {
				if at.Before(next.Add(-t.overlap)) {
					delete(t.seen, icid)
				}
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// poll reads every record stored since from (all pages, newest first) and
// prints the ones not printed yet, oldest first.
func (t *tailer) poll(ctx context.Context, from, started time.Time) error {
	q := url.Values{}
	for k, v := range t.query {
		q[k] = v
	}
	q.Set("since", from.UTC().Format(time.RFC3339Nano))
	q.Set("pageSize", "1000")
	var fresh []cdr.Record
	for page := 1; ; page++ {
		q.Set("pageIndex", strconv.Itoa(page))
		var ans struct {
			Total int          `json:"total"`
			CDRs  []cdr.Record `json:"cdrs"`
		}
		if err := t.cl.getJSON(ctx, "/admin/v1/cdrs", q, &ans); err != nil {
			return err
		}
		for _, r := range ans.CDRs {
			if _, ok := t.seen[r.ICID]; !ok {
				fresh = append(fresh, r)
			}
		}
		if len(ans.CDRs) == 0 || page*1000 >= ans.Total {
			break
		}
	}
	for i := len(fresh) - 1; i >= 0; i-- { // oldest first
		r := fresh[i]
		if _, ok := t.seen[r.ICID]; ok { // a record that moved across a page boundary
			continue
		}
		line, err := json.Marshal(r)
		if err != nil {
			return err
		}
		if _, err := t.out.Write(append(line, '\n')); err != nil {
			return err
		}
		t.seen[r.ICID] = started
	}
	return nil
}

// getJSON sends GET path?query and decodes a 2xx answer into v; anything
// else is an *apiError, as for the other subcommands.
func (c *apiClient) getJSON(ctx context.Context, path string, query url.Values, v any) error {
	raw, err := c.roundTrip(ctx, http.MethodGet, path, query, nil, "")
	if err != nil {
		return err
	}
	return json.Unmarshal(raw, v)
}
