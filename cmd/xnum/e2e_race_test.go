//go:build race

package main

// raceBuild makes the e2e harness build the xnum binary with -race when the
// tests themselves run with -race (as `make test` does), so data races in the
// daemon under real SIP traffic fail the run too. The race-instrumented
// packages are already in the build cache from the unit tests, so this costs
// a link, not a rebuild.
const raceBuild = true
