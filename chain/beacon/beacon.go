// Package beacon reads Ethereum's beacon chain through a beacon node's standard REST API: the
// light-client endpoints (/eth/v1/beacon/light_client/bootstrap, updates, finality_update,
// optimistic_update) and the genesis that names the network. Follower keeps a light-client
// store (circuits/synccommittee) in step with a node, from a bootstrap at a block root the
// operator trusts, through every period's update, to the newest finalized header; its errors
// name what is wrong (the node unreachable, on another network, an update below the
// threshold, a period the node cannot bridge), and a failed step can simply be retried.
package beacon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"

	"github.com/isthmus-xyz/isthmus/circuits/synccommittee"
)

var (
	// ErrUnreachable: the beacon node did not answer.
	ErrUnreachable = errors.New("beacon node unreachable")
	// ErrNotFound: the node has no such object (a bootstrap of another root, updates of
	// periods it no longer serves).
	ErrNotFound = errors.New("beacon node has no such object")
	// ErrBadResponse: an answer that is not the API's JSON.
	ErrBadResponse = errors.New("beacon node answered outside the API")
	// ErrWrongNetwork: a node of another network (genesis validators root).
	ErrWrongNetwork = errors.New("beacon node serves another network")
	// ErrPeriodGap: the node's updates do not continue the store's period.
	ErrPeriodGap = errors.New("the node's updates leave a period gap the light client cannot bridge")
)

// maxBody bounds an answer: the updates of 128 periods are about 9 MB.
const maxBody = 32 << 20

// Client is a beacon node's REST API.
type Client struct {
	URL  string // the node's base URL, such as http://localhost:5052
	HTTP *http.Client
}

// NewClient is a client of the node at url, with a 30 s timeout a request.
func NewClient(url string) *Client {
	return &Client{URL: strings.TrimRight(url, "/"), HTTP: &http.Client{Timeout: 30 * time.Second}}
}

func (c *Client) get(ctx context.Context, path string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.URL+path, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return fmt.Errorf("%w: GET %s: %v", ErrUnreachable, path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return fmt.Errorf("%w: GET %s: %v", ErrUnreachable, path, err)
	}
	switch {
	case resp.StatusCode == http.StatusNotFound:
		return fmt.Errorf("%w: GET %s: %s", ErrNotFound, path, firstLine(body))
	case resp.StatusCode != http.StatusOK:
		return fmt.Errorf("%w: GET %s: status %d: %s", ErrBadResponse, path, resp.StatusCode, firstLine(body))
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("%w: GET %s: %v", ErrBadResponse, path, err)
	}
	return nil
}

func firstLine(b []byte) string {
	s, _, _ := strings.Cut(string(b), "\n")
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

// Genesis is the node's genesis validators root and genesis fork version
// (/eth/v1/beacon/genesis).
func (c *Client) Genesis(ctx context.Context) (common.Hash, [4]byte, error) {
	var g struct {
		Data struct {
			Root    common.Hash   `json:"genesis_validators_root"`
			Version hexutil.Bytes `json:"genesis_fork_version"`
		} `json:"data"`
	}
	if err := c.get(ctx, "/eth/v1/beacon/genesis", &g); err != nil {
		return common.Hash{}, [4]byte{}, err
	}
	var v [4]byte
	if len(g.Data.Version) != 4 {
		return common.Hash{}, v, fmt.Errorf("%w: a genesis fork version of %d bytes", ErrBadResponse, len(g.Data.Version))
	}
	copy(v[:], g.Data.Version)
	return g.Data.Root, v, nil
}

// CheckNetwork refuses a node whose genesis validators root is not cfg's.
func (c *Client) CheckNetwork(ctx context.Context, cfg synccommittee.Config) error {
	root, _, err := c.Genesis(ctx)
	if err != nil {
		return err
	}
	if root != cfg.GenesisValidatorsRoot {
		return fmt.Errorf("%w: %s has genesis validators root %s, the light client's network %s", ErrWrongNetwork, c.URL, root, cfg.GenesisValidatorsRoot)
	}
	return nil
}

// Bootstrap is the light-client bootstrap of the block root.
func (c *Client) Bootstrap(ctx context.Context, root common.Hash) (*synccommittee.Versioned[synccommittee.Bootstrap], error) {
	var b synccommittee.Versioned[synccommittee.Bootstrap]
	if err := c.get(ctx, "/eth/v1/beacon/light_client/bootstrap/"+root.Hex(), &b); err != nil {
		return nil, err
	}
	return &b, nil
}

// Updates are the best light-client updates of count periods from start.
func (c *Client) Updates(ctx context.Context, start, count uint64) ([]synccommittee.Versioned[synccommittee.Update], error) {
	var us []synccommittee.Versioned[synccommittee.Update]
	if err := c.get(ctx, fmt.Sprintf("/eth/v1/beacon/light_client/updates?start_period=%d&count=%d", start, count), &us); err != nil {
		return nil, err
	}
	return us, nil
}

// FinalityUpdate is the node's newest finality update.
func (c *Client) FinalityUpdate(ctx context.Context) (*synccommittee.Versioned[synccommittee.Update], error) {
	var u synccommittee.Versioned[synccommittee.Update]
	if err := c.get(ctx, "/eth/v1/beacon/light_client/finality_update", &u); err != nil {
		return nil, err
	}
	return &u, nil
}

// OptimisticUpdate is the node's newest optimistic update (an attested header, not final).
func (c *Client) OptimisticUpdate(ctx context.Context) (*synccommittee.Versioned[synccommittee.Update], error) {
	var u synccommittee.Versioned[synccommittee.Update]
	if err := c.get(ctx, "/eth/v1/beacon/light_client/optimistic_update", &u); err != nil {
		return nil, err
	}
	return &u, nil
}

// GenesisTime is the node's genesis time, in Unix seconds (/eth/v1/beacon/genesis).
func (c *Client) GenesisTime(ctx context.Context) (uint64, error) {
	var g struct {
		Data struct {
			Time string `json:"genesis_time"`
		} `json:"data"`
	}
	if err := c.get(ctx, "/eth/v1/beacon/genesis", &g); err != nil {
		return 0, err
	}
	t, err := strconv.ParseUint(g.Data.Time, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%w: genesis time %q", ErrBadResponse, g.Data.Time)
	}
	return t, nil
}

// Clock is the beacon chain's current slot: from the node's genesis time and secondsPerSlot
// (12 on Ethereum), by the local clock; for a node whose genesis time is zero (the devnet's
// simulated chain, whose slots are its execution blocks), the signature slot of its newest
// optimistic update.
func (c *Client) Clock(secondsPerSlot uint64) func(ctx context.Context) (uint64, error) {
	return func(ctx context.Context) (uint64, error) {
		genesis, err := c.GenesisTime(ctx)
		if err != nil {
			return 0, err
		}
		if genesis == 0 {
			u, err := c.OptimisticUpdate(ctx)
			if err != nil {
				return 0, err
			}
			return uint64(u.Data.SignatureSlot), nil
		}
		now := uint64(time.Now().Unix())
		if now < genesis {
			return 0, nil
		}
		return (now - genesis) / secondsPerSlot, nil
	}
}
