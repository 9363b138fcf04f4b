package main

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/spf13/cobra"
)

// newCDRCmd is `xnum cdr list`: the admin CDR query of SPEC §8, newest first.
func newCDRCmd(environ []string) *cobra.Command {
	cf := &clientFlags{environ: environ}
	cmd := &cobra.Command{Use: "cdr", Short: "Query call detail records (admin API)"}
	cf.register(cmd)

	// Each filter flag maps to the query parameter of the same meaning.
	filters := []struct{ flag, param, help string }{
		{"app-key", "appKey", "only this app"},
		{"subscription-id", "subscriptionId", "only this binding"},
		{"bind-num", "bindNum", "only calls to this X (E.164)"},
		{"caller-num", "callerNum", "only calls from this number (E.164)"},
		{"since", "since", "from this time (RFC 3339 UTC)"},
		{"until", "until", "until this time (RFC 3339 UTC)"},
	}
	vals := make([]string, len(filters))
	var failReason, pageIndex, pageSize int
	list := &cobra.Command{
		Use:     "list",
		Short:   "List CDRs, newest first",
		Args:    cobra.NoArgs,
		Example: "  xnum cdr list --app-key demo --bind-num +8617000000000 --page-size 10",
		RunE: func(c *cobra.Command, _ []string) error {
			cl, err := cf.client(c)
			if err != nil {
				return err
			}
			q := url.Values{}
			for i, f := range filters {
				if vals[i] != "" {
					q.Set(f.param, vals[i])
				}
			}
			for _, p := range []struct {
				flag, param string
				v           int
			}{{"ul-fail-reason", "ulFailReason", failReason}, {"page-index", "pageIndex", pageIndex}, {"page-size", "pageSize", pageSize}} {
				if c.Flags().Changed(p.flag) {
					q.Set(p.param, strconv.Itoa(p.v))
				}
			}
			return cl.do(c.Context(), http.MethodGet, "/admin/v1/cdrs", q, nil)
		},
	}
	for i, f := range filters {
		list.Flags().StringVar(&vals[i], f.flag, "", f.help)
	}
	list.Flags().IntVar(&failReason, "ul-fail-reason", 0, "only this release cause (0 = normal)")
	list.Flags().IntVar(&pageIndex, "page-index", 1, "page, from 1")
	list.Flags().IntVar(&pageSize, "page-size", 50, "records per page (at most 1000)")
	cmd.AddCommand(list, newCDRTailCmd(cf))
	return cmd
}
