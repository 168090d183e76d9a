package main

// Exit codes.
const (
	exitFailure = 1 // the command ran and failed
	exitUsage   = 2 // the command was called wrongly
)

// exitError carries the process exit code of a failure.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func usageError(err error) error { return &exitError{code: exitUsage, err: err} }
