// Command xnum is the privacy-number B2BUA: `xnum serve` runs the daemon, and
// the other subcommands are small clients of a running daemon's admin API
// (SPEC §8) and of its AXB management API (SPEC §5).
//
// Everything is wired explicitly here: no init() registration, no package
// globals, so tests can start whole daemons (several in one process) from a
// Config on free ports.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
)

func main() {
	os.Exit(execute(context.Background(), os.Args[1:], os.Environ(), os.Stdout, os.Stderr))
}

// exitError carries the process exit code of a failure: 2 for a config the
// daemon refuses, 1 for anything else.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// execute runs one command line and returns the process exit code.
func execute(ctx context.Context, args, environ []string, stdout, stderr io.Writer) int {
	root := newRootCmd(environ, stdout, stderr)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	fmt.Fprintln(stderr, "xnum:", err)
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	return 1
}
