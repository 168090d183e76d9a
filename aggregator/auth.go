package aggregator

import (
	"errors"
	"fmt"
	"os"

	"github.com/nats-io/nats.go"
)

// Auth is how a client proves who it is to an external NATS server, and checks the server.
// Anyone who can publish on the server can queue work and publish results and dead letters
// (which the dispatcher checks, see Queue.Run), and take jobs: run an external server with
// authentication, and TLS where it is reached over a network. The embedded server listens on
// loopback only and needs none.
type Auth struct {
	// Creds is a user credentials file (a user JWT and its nkey seed): NATS accounts with
	// decentralized authentication (nsc, an operator and its accounts).
	Creds string
	// NKey is a file holding a user's nkey seed ("SU…"): nkey authentication, the server
	// listing the user's public key.
	NKey string
	// User and Password, for a server with user/password authorization.
	User, Password string
	// CA is a PEM file of the roots that sign the server's TLS certificate; setting it
	// requires TLS. Cert and Key are a client certificate and key for mutual TLS.
	CA, Cert, Key string
}

// ErrAuthConfig is returned for an Auth that names files it cannot use or mixes methods.
var ErrAuthConfig = errors.New("NATS authentication")

// options are the client options of a.
func (a Auth) options() ([]nats.Option, error) {
	var opts []nats.Option
	methods := 0
	for _, set := range []bool{a.Creds != "", a.NKey != "", a.User != ""} {
		if set {
			methods++
		}
	}
	if methods > 1 {
		return nil, fmt.Errorf("%w: choose one of a credentials file, an nkey seed file, or a user and password", ErrAuthConfig)
	}
	if a.Password != "" && a.User == "" {
		return nil, fmt.Errorf("%w: a password without a user", ErrAuthConfig)
	}
	readable := func(what, path string) error {
		if _, err := os.Stat(path); err != nil {
			return fmt.Errorf("%w: %s: %v", ErrAuthConfig, what, err)
		}
		return nil
	}
	switch {
	case a.Creds != "":
		if err := readable("credentials file", a.Creds); err != nil {
			return nil, err
		}
		opts = append(opts, nats.UserCredentials(a.Creds))
	case a.NKey != "":
		o, err := nats.NkeyOptionFromSeed(a.NKey)
		if err != nil {
			return nil, fmt.Errorf("%w: nkey seed file %s: %v", ErrAuthConfig, a.NKey, err)
		}
		opts = append(opts, o)
	case a.User != "":
		opts = append(opts, nats.UserInfo(a.User, a.Password))
	}
	if a.CA != "" {
		if err := readable("CA file", a.CA); err != nil {
			return nil, err
		}
		opts = append(opts, nats.RootCAs(a.CA))
	}
	if (a.Cert == "") != (a.Key == "") {
		return nil, fmt.Errorf("%w: a client certificate needs both its certificate and key files", ErrAuthConfig)
	}
	if a.Cert != "" {
		if err := readable("client certificate", a.Cert); err != nil {
			return nil, err
		}
		if err := readable("client key", a.Key); err != nil {
			return nil, err
		}
		opts = append(opts, nats.ClientCert(a.Cert, a.Key))
	}
	return opts, nil
}
