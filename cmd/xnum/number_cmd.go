package main

import (
	"net/http"
	"net/url"

	"github.com/spf13/cobra"
)

// newNumberCmd is `xnum number …`: an app's X numbers (SPEC §8).
func newNumberCmd(environ []string) *cobra.Command {
	cf := &clientFlags{environ: environ}
	cmd := &cobra.Command{Use: "number", Short: "Manage an app's X numbers (admin API)"}
	cf.register(cmd)

	var areaCode string
	add := &cobra.Command{
		Use:     "add APPKEY NUMBER...",
		Short:   "Add X numbers (E.164, e.g. +8617000000010) to an app",
		Args:    cobra.MinimumNArgs(2),
		Example: "  xnum number add demo +8617000000010 +8617000000011 --area-code 0755",
		RunE: func(c *cobra.Command, args []string) error {
			cl, err := cf.client(c)
			if err != nil {
				return err
			}
			body := struct {
				Numbers  []string `json:"numbers"`
				AreaCode string   `json:"areaCode,omitempty"`
			}{args[1:], areaCode}
			return cl.do(c.Context(), http.MethodPost, numbersPath(args[0]), nil, body)
		},
	}
	add.Flags().StringVar(&areaCode, "area-code", "", "area code of the numbers, e.g. 0755")

	list := &cobra.Command{
		Use:   "list APPKEY",
		Short: "List an app's X numbers",
		Args:  cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			cl, err := cf.client(c)
			if err != nil {
				return err
			}
			return cl.do(c.Context(), http.MethodGet, numbersPath(args[0]), nil, nil)
		},
	}
	cmd.AddCommand(add, list,
		numberAction(cf, "remove APPKEY NUMBER", "Remove an X number and its bindings", http.MethodDelete, ""),
		numberAction(cf, "suspend APPKEY NUMBER", "Suspend an X number: its calls fail with 8055", http.MethodPost, "/suspend"),
		numberAction(cf, "resume APPKEY NUMBER", "Resume a suspended X number", http.MethodPost, "/resume"),
	)
	return cmd
}

func numbersPath(appKey string) string {
	return "/admin/v1/apps/" + url.PathEscape(appKey) + "/numbers"
}

// numberAction sends method to /admin/v1/apps/{APPKEY}/numbers/{NUMBER}+suffix.
func numberAction(cf *clientFlags, use, short, method, suffix string) *cobra.Command {
	return &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.ExactArgs(2),
		RunE: func(c *cobra.Command, args []string) error {
			cl, err := cf.client(c)
			if err != nil {
				return err
			}
			return cl.do(c.Context(), method, numbersPath(args[0])+"/"+url.PathEscape(args[1])+suffix, nil, nil)
		},
	}
}
