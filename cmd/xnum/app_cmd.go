package main

import (
	"net/http"
	"net/url"

	"github.com/spf13/cobra"
)

// appBody is the body of POST /admin/v1/apps (SPEC §8).
type appBody struct {
	AppKey              string `json:"appKey"`
	AppSecret           string `json:"appSecret,omitempty"`
	Mode                string `json:"mode"`
	StatusURL           string `json:"statusUrl,omitempty"`
	FeeURL              string `json:"feeUrl,omitempty"`
	CallinURL           string `json:"callinUrl,omitempty"`
	Recording           bool   `json:"recording"`
	ExtLen              int    `json:"extLen,omitempty"`
	AnswerBeforeCollect bool   `json:"answerBeforeCollect"`
}

// newAppCmd is `xnum app …`: apps of the admin API (SPEC §8).
func newAppCmd(environ []string) *cobra.Command {
	cf := &clientFlags{environ: environ}
	cmd := &cobra.Command{Use: "app", Short: "Manage apps (admin API)"}
	cf.register(cmd)

	var body appBody
	create := &cobra.Command{
		Use:   "create APPKEY",
		Short: "Create an app; the answer shows its appSecret once",
		Args:  cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			cl, err := cf.client(c)
			if err != nil {
				return err
			}
			body.AppKey = args[0]
			return cl.do(c.Context(), http.MethodPost, "/admin/v1/apps", nil, body)
		},
	}
	f := create.Flags()
	f.StringVar(&body.AppSecret, "secret", "", "app secret (empty: the daemon generates one)")
	f.StringVar(&body.Mode, "mode", "AXB", "mode: AX, AXB, AXE, AXYB or X")
	f.StringVar(&body.StatusURL, "status-url", "", "call event webhook URL")
	f.StringVar(&body.FeeURL, "fee-url", "", "CDR webhook URL")
	f.StringVar(&body.CallinURL, "callin-url", "", "X-mode callin URL")
	f.BoolVar(&body.Recording, "recording", false, "allow call recording")
	f.IntVar(&body.ExtLen, "ext-len", 0, "AXE extension length (1-4)")
	f.BoolVar(&body.AnswerBeforeCollect, "answer-before-collect", true, "AXE: answer before collecting the extension")

	cmd.AddCommand(create, newAppUpdateCmd(cf), newAppPromptCmd(cf),
		appAction(cf, "get APPKEY", "Show an app", http.MethodGet, ""),
		appAction(cf, "delete APPKEY", "Delete an app", http.MethodDelete, ""),
		appAction(cf, "freeze APPKEY", "Freeze an app (arrears): binds refused, calls fail with 7108", http.MethodPost, "/freeze"),
		appAction(cf, "unfreeze APPKEY", "Unfreeze an app", http.MethodPost, "/unfreeze"),
		&cobra.Command{
			Use:   "list",
			Short: "List apps",
			Args:  cobra.NoArgs,
			RunE: func(c *cobra.Command, _ []string) error {
				cl, err := cf.client(c)
				if err != nil {
					return err
				}
				return cl.do(c.Context(), http.MethodGet, "/admin/v1/apps", nil, nil)
			},
		},
	)
	return cmd
}

// appAction is a subcommand that sends method to /admin/v1/apps/{APPKEY}+suffix.
func appAction(cf *clientFlags, use, short, method, suffix string) *cobra.Command {
	return &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			cl, err := cf.client(c)
			if err != nil {
				return err
			}
			return cl.do(c.Context(), method, "/admin/v1/apps/"+url.PathEscape(args[0])+suffix, nil, nil)
		},
	}
}
