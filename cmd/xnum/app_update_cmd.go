package main

import (
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strconv"

	"github.com/spf13/cobra"
)

// newAppUpdateCmd is `xnum app update APPKEY`: PUT /admin/v1/apps/{appKey}
// (SPEC §8) with only the fields whose flags were given.
func newAppUpdateCmd(cf *clientFlags) *cobra.Command {
	strs := []struct{ flag, field, help string }{
		{"secret", "appSecret", "new app secret (rotates it)"},
		{"mode", "mode", "mode: AX, AXB, AXE, AXYB or X (only while the app has no numbers)"},
		{"status-url", "statusUrl", "call event webhook URL (\"\" clears it)"},
		{"fee-url", "feeUrl", "CDR webhook URL (\"\" clears it)"},
		{"callin-url", "callinUrl", "X-mode callin URL (\"\" clears it)"},
		{"sp-id", "spId", "account id echoed in CDRs"},
	}
	bools := []struct{ flag, field, help string }{
		{"recording", "recording", "allow call recording"},
		{"answer-before-collect", "answerBeforeCollect", "AXE: answer before collecting the extension"},
	}
	sv := make([]string, len(strs))
	bv := make([]bool, len(bools))
	var extLen int
	cmd := &cobra.Command{
		Use:     "update APPKEY",
		Short:   "Change an app: only the fields given are sent",
		Args:    cobra.ExactArgs(1),
		Example: "  xnum app update shop --fee-url https://shop.example/fee --recording=true",
		RunE: func(c *cobra.Command, args []string) error {
			body := map[string]any{}
			for i, s := range strs {
				if c.Flags().Changed(s.flag) {
					body[s.field] = sv[i]
				}
			}
			for i, b := range bools {
				if c.Flags().Changed(b.flag) {
					body[b.field] = bv[i]
				}
			}
			if c.Flags().Changed("ext-len") {
				body["extLen"] = extLen
			}
			if len(body) == 0 {
				return fmt.Errorf("nothing to change: give at least one flag (see --help)")
			}
			cl, err := cf.client(c)
			if err != nil {
				return err
			}
			return cl.do(c.Context(), http.MethodPut, "/admin/v1/apps/"+url.PathEscape(args[0]), nil, body)
		},
	}
	for i, s := range strs {
		cmd.Flags().StringVar(&sv[i], s.flag, "", s.help)
	}
	for i, b := range bools {
		cmd.Flags().BoolVar(&bv[i], b.flag, false, b.help)
	}
	cmd.Flags().IntVar(&extLen, "ext-len", 0, "AXE extension length (1-4)")
	return cmd
}

// newAppPromptCmd is `xnum app prompt APPKEY NAME FILE.wav`: PUT
// /admin/v1/apps/{appKey}/prompts/{name} with the WAV as the body (SPEC §8).
func newAppPromptCmd(cf *clientFlags) *cobra.Command {
	return &cobra.Command{
		Use:     "prompt APPKEY NAME FILE.wav",
		Short:   "Upload a prompt for an app (8 kHz mono WAV)",
		Args:    cobra.ExactArgs(3),
		Example: "  xnum app prompt shop welcome ./welcome.wav",
		RunE: func(c *cobra.Command, args []string) error {
			f, err := os.Open(args[2])
			if err != nil {
				return err
			}
			defer f.Close()
			cl, err := cf.client(c)
			if err != nil {
				return err
			}
			path := "/admin/v1/apps/" + url.PathEscape(args[0]) + "/prompts/" + url.PathEscape(args[1])
			return cl.send(c.Context(), http.MethodPut, path, nil, f, "audio/wav")
		},
	}
}

// newOutboxCmd is `xnum outbox …`: the dead letters of event and CDR
// delivery (SPEC §6.2, §8).
func newOutboxCmd(environ []string) *cobra.Command {
	cf := &clientFlags{environ: environ}
	cmd := &cobra.Command{Use: "outbox", Short: "Dead event and CDR deliveries (admin API)"}
	cf.register(cmd)
	var appKey string
	var pageIndex, pageSize int
	dead := &cobra.Command{
		Use:   "dead",
		Short: "List deliveries that ran out of retries",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			cl, err := cf.client(c)
			if err != nil {
				return err
			}
			q := url.Values{}
			if appKey != "" {
				q.Set("appKey", appKey)
			}
			if c.Flags().Changed("page-index") {
				q.Set("pageIndex", strconv.Itoa(pageIndex))
			}
			if c.Flags().Changed("page-size") {
				q.Set("pageSize", strconv.Itoa(pageSize))
			}
			return cl.do(c.Context(), http.MethodGet, "/admin/v1/outbox/dead", q, nil)
		},
	}
	dead.Flags().StringVar(&appKey, "app-key", "", "only this app")
	dead.Flags().IntVar(&pageIndex, "page-index", 1, "page, from 1")
	dead.Flags().IntVar(&pageSize, "page-size", 50, "items per page (at most 1000)")
	redrive := &cobra.Command{
		Use:   "redrive ID",
		Short: "Send a dead delivery again, with a fresh retry schedule",
		Args:  cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if _, err := strconv.ParseUint(args[0], 10, 64); err != nil {
				return fmt.Errorf("ID %q: want the decimal id from `xnum outbox dead`", args[0])
			}
			cl, err := cf.client(c)
			if err != nil {
				return err
			}
			return cl.do(c.Context(), http.MethodPost, "/admin/v1/outbox/dead/"+args[0]+"/redrive", nil, nil)
		},
	}
	cmd.AddCommand(dead, redrive)
	return cmd
}
