package main

import (
	"io"
	"strings"

	"github.com/spf13/cobra"
)

// newRootCmd builds the whole command tree. environ is the process
// environment (os.Environ() in main, a fixed list in tests).
func newRootCmd(environ []string, stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "xnum",
		Short: "xnum — privacy-number SIP B2BUA (number masking)",
		Long: "xnum masks phone numbers: callers dial an X number, xnum looks up the binding\n" +
			"and bridges the call to the real callee showing X.\n\n" +
			"`xnum serve` runs the daemon; the other commands talk to a running daemon.",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.AddCommand(
		newServeCmd(environ, stderr),
		newAppCmd(environ),
		newNumberCmd(environ),
		newCDRCmd(environ),
		newOutboxCmd(environ),
		newBindCmd(),
		newUnbindCmd(),
		newRecordCmd(),
	)
	return root
}

// envMap turns KEY=VALUE entries into a map; later entries win, as in exec.
func envMap(environ []string) map[string]string {
	m := make(map[string]string, len(environ))
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			m[k] = v
		}
	}
	return m
}
