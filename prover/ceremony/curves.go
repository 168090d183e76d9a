package ceremony

import (
	"fmt"
	"io"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/backend/groth16"
	mpcbls12377 "github.com/consensys/gnark/backend/groth16/bls12-377/mpcsetup"
	mpcbn254 "github.com/consensys/gnark/backend/groth16/bn254/mpcsetup"
	mpcbw6761 "github.com/consensys/gnark/backend/groth16/bw6-761/mpcsetup"
	"github.com/consensys/gnark/constraint"
	csbls12377 "github.com/consensys/gnark/constraint/bls12-377"
	csbn254 "github.com/consensys/gnark/constraint/bn254"
	csbw6761 "github.com/consensys/gnark/constraint/bw6-761"
)

// state is one participant's output of either phase, as gnark's mpcsetup holds it.
type state interface {
	io.WriterTo
	io.ReaderFrom
	Contribute()
}

// backend is gnark's mpcsetup of one curve behind one interface: the three curves'
// packages have the same API over different types.
type backend interface {
	initial1(n uint64) state
	empty(phase int) state
	verify(prev, next state) error
	// seal1 applies the beacon to phase 1's last state and returns the powers of tau.
	seal1(last state, beacon []byte) srs
	emptySRS() srs
	// truncate is the powers of tau of an n-domain taken from a larger one's (the same τ).
	truncate(s srs, n int) srs
	size(s srs) int
	init2(ccs constraint.ConstraintSystem, s srs) (state, any, error)
	seal2(last state, s srs, evals any, beacon []byte) (groth16.ProvingKey, groth16.VerifyingKey)
}

type srs interface {
	io.WriterTo
	io.ReaderFrom
}

type phase1Of[T, C any] interface {
	*T
	state
	Initialize(uint64)
	Verify(*T) error
	Seal([]byte) C
}

type phase2Of[T, C, E, R any] interface {
	*T
	state
	Verify(*T) error
	Initialize(*R, *C) E
	Seal(*C, *E, []byte) (groth16.ProvingKey, groth16.VerifyingKey)
}

type srsOf[C any] interface {
	*C
	srs
}

// mpc is a backend over one curve's mpcsetup types; truncate and size read the curve's
// SrsCommons fields.
type mpc[T1 any, P1 phase1Of[T1, C], C any, PC srsOf[C], T2 any, P2 phase2Of[T2, C, E, R], E, R any] struct {
	truncateTo func(*C, int) *C
	sizeOf     func(*C) int
}

func (m mpc[T1, P1, C, PC, T2, P2, E, R]) initial1(n uint64) state {
	p := P1(new(T1))
	p.Initialize(n)
	return p
}

func (m mpc[T1, P1, C, PC, T2, P2, E, R]) empty(phase int) state {
	if phase == 1 {
		return P1(new(T1))
	}
	return P2(new(T2))
}

func (m mpc[T1, P1, C, PC, T2, P2, E, R]) verify(prev, next state) error {
	switch p := prev.(type) {
	case P1:
		n, ok := next.(P1)
		if !ok {
			return fmt.Errorf("%w: a phase-2 file after a phase-1 one", ErrFormat)
		}
		return p.Verify((*T1)(n))
	case P2:
		n, ok := next.(P2)
		if !ok {
			return fmt.Errorf("%w: a phase-1 file after a phase-2 one", ErrFormat)
		}
		return p.Verify((*T2)(n))
	}
	return fmt.Errorf("%w: a state of %T", ErrFormat, prev)
}

func (m mpc[T1, P1, C, PC, T2, P2, E, R]) seal1(last state, beacon []byte) srs {
	c := last.(P1).Seal(beacon)
	return PC(&c)
}

func (m mpc[T1, P1, C, PC, T2, P2, E, R]) emptySRS() srs { return PC(new(C)) }

func (m mpc[T1, P1, C, PC, T2, P2, E, R]) truncate(s srs, n int) srs {
	return PC(m.truncateTo((*C)(s.(PC)), n))
}

func (m mpc[T1, P1, C, PC, T2, P2, E, R]) size(s srs) int { return m.sizeOf((*C)(s.(PC))) }

func (m mpc[T1, P1, C, PC, T2, P2, E, R]) init2(ccs constraint.ConstraintSystem, s srs) (st state, evals any, err error) {
	r, ok := any(ccs).(*R)
	if !ok {
		return nil, nil, fmt.Errorf("%w: a constraint system %T is not an R1CS of this curve", ErrFormat, ccs)
	}
	defer func() { // gnark panics on a circuit larger than the powers of tau
		if e := recover(); e != nil {
			err = fmt.Errorf("phase 2 initialisation: %v", e)
		}
	}()
	p := P2(new(T2))
	e := p.Initialize(r, (*C)(s.(PC)))
	return p, &e, nil
}

func (m mpc[T1, P1, C, PC, T2, P2, E, R]) seal2(last state, s srs, evals any, beacon []byte) (groth16.ProvingKey, groth16.VerifyingKey) {
	return last.(P2).Seal((*C)(s.(PC)), evals.(*E), beacon)
}

var backends = map[ecc.ID]backend{
	ecc.BN254: mpc[mpcbn254.Phase1, *mpcbn254.Phase1, mpcbn254.SrsCommons, *mpcbn254.SrsCommons,
		mpcbn254.Phase2, *mpcbn254.Phase2, mpcbn254.Phase2Evaluations, csbn254.R1CS]{
		truncateTo: func(c *mpcbn254.SrsCommons, n int) *mpcbn254.SrsCommons {
			t := *c
			t.G1.Tau, t.G2.Tau, t.G1.AlphaTau, t.G1.BetaTau = c.G1.Tau[:2*n-1], c.G2.Tau[:n], c.G1.AlphaTau[:n], c.G1.BetaTau[:n]
			return &t
		},
		sizeOf: func(c *mpcbn254.SrsCommons) int { return len(c.G1.AlphaTau) },
	},
	ecc.BLS12_377: mpc[mpcbls12377.Phase1, *mpcbls12377.Phase1, mpcbls12377.SrsCommons, *mpcbls12377.SrsCommons,
		mpcbls12377.Phase2, *mpcbls12377.Phase2, mpcbls12377.Phase2Evaluations, csbls12377.R1CS]{
		truncateTo: func(c *mpcbls12377.SrsCommons, n int) *mpcbls12377.SrsCommons {
			t := *c
			t.G1.Tau, t.G2.Tau, t.G1.AlphaTau, t.G1.BetaTau = c.G1.Tau[:2*n-1], c.G2.Tau[:n], c.G1.AlphaTau[:n], c.G1.BetaTau[:n]
			return &t
		},
		sizeOf: func(c *mpcbls12377.SrsCommons) int { return len(c.G1.AlphaTau) },
	},
	ecc.BW6_761: mpc[mpcbw6761.Phase1, *mpcbw6761.Phase1, mpcbw6761.SrsCommons, *mpcbw6761.SrsCommons,
		mpcbw6761.Phase2, *mpcbw6761.Phase2, mpcbw6761.Phase2Evaluations, csbw6761.R1CS]{
		truncateTo: func(c *mpcbw6761.SrsCommons, n int) *mpcbw6761.SrsCommons {
			t := *c
			t.G1.Tau, t.G2.Tau, t.G1.AlphaTau, t.G1.BetaTau = c.G1.Tau[:2*n-1], c.G2.Tau[:n], c.G1.AlphaTau[:n], c.G1.BetaTau[:n]
			return &t
		},
		sizeOf: func(c *mpcbw6761.SrsCommons) int { return len(c.G1.AlphaTau) },
	},
}
