package state

import (
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/lazchain/lazchain/internal/idao"
	"github.com/lazchain/lazchain/internal/staking"
	"github.com/lazchain/lazchain/internal/store"
	"github.com/lazchain/lazchain/internal/txindex"
	"github.com/lazchain/lazchain/internal/types"
)

const (
	pAccount  = 'A'
	pReceipts = 'Q' // height -> the receipts of the block's transactions
	pStaking  = 'S'
	pEpoch    = 'P'
	pCert     = 'C' // epoch -> its change certificate
	pPartial  = 'c' // epoch -> signatures collected for it so far
)

// KindMemo is a transaction that only uses up its nonce: a signed record
// (and the load generator's transaction). Kinds 1-8 are staking's.
const KindMemo uint16 = 0

// Genesis is the initial state beyond the consensus settings.
type Genesis struct {
	Params     staking.Params
	IDAO       idao.Params
	Validators []staking.GenesisValidator
	Accounts   []GenesisAccount
}

// GenesisAccount is a funded account at genesis.
type GenesisAccount struct {
	Address staking.Address
	Balance uint64
}

// Verified reports, for each transaction, whether its signature is already
// known to be valid (the mempool checked it); the others are checked here.
// It takes the whole block at once so the pool's lock is taken once.
type Verified func([]*types.Tx) []bool

// Machine applies committed blocks.
type Machine struct {
	chainID  string
	store    *store.Store
	verified Verified

	// Writes not yet known durable, read ahead of the store. The mutex is
	// for readers on API goroutines; Apply runs on the driver alone.
	mu       sync.RWMutex
	accounts map[staking.Address]Account
	cacheGen uint64 // bumped whenever the caches are cleared
	epochs   map[uint64]*Epoch
	current  *Epoch
	certs    map[uint64]*types.EpochCert
	partials map[uint64]partial
	extra    []store.KV // writes of the block's epoch signatures

	stake   *staking.State // the driver's, mutated by Apply
	view    *staking.State // an immutable copy for readers
	dao     *idao.State    // the driver's
	daoView *idao.State    // an immutable copy for readers

	artifacts map[types.Hash][]byte // records written, not yet known durable
	fresh     bool                  // genesis not yet written
	genesisW  []GenesisAccount

	commit   commitment       // the state tree
	executed []types.StateRef // results of the last Apply's blocks
	index    *txindex.Index   // transaction hash -> its receipt's place

	sigChecks atomic.Uint64               // signatures Apply checked itself
	lastBlock atomic.Pointer[types.Block] // the last block BlockAt read
}

// SigChecks is the number of transaction signatures Apply checked itself,
// for metrics: what the mempool had not admitted before the commit.
func (m *Machine) SigChecks() uint64 { return m.sigChecks.Load() }

// New returns a machine reading committed state from st; a store with no
// state yet starts from g.
func New(chainID string, st *store.Store, verified Verified, g Genesis) (*Machine, error) {
	if verified == nil {
		verified = func(txs []*types.Tx) []bool { return make([]bool, len(txs)) }
	}
	m := &Machine{chainID: chainID, store: st, verified: verified,
		accounts: map[staking.Address]Account{}, epochs: map[uint64]*Epoch{},
		certs: map[uint64]*types.EpochCert{}, partials: map[uint64]partial{}, artifacts: map[types.Hash][]byte{}}
	if g.IDAO == (idao.Params{}) {
		g.IDAO = idao.DefaultParams()
	}
	if err := m.load(g); err != nil {
		return nil, err
	}
	if err := m.loadDAO(g.IDAO); err != nil {
		return nil, err
	}
	if err := m.loadCommitment(); err != nil {
		return nil, err
	}
	if err := m.openIndex(); err != nil {
		return nil, err
	}
	return m, nil
}

func (m *Machine) load(g Genesis) error {
	v, err := m.store.Get([]byte{pStaking})
	switch {
	case err == nil:
		if m.stake, err = staking.Decode(v); err != nil {
			return fmt.Errorf("load staking state: %w", err)
		}
		if m.current, err = m.EpochAt(m.stake.Epoch()); err != nil {
			return fmt.Errorf("load current epoch: %w", err)
		}
	case err == store.ErrNotFound:
		if m.stake, err = staking.Genesis(m.chainID, g.Params, g.Validators); err != nil {
			return fmt.Errorf("genesis staking state: %w", err)
		}
		m.fresh, m.genesisW = true, g.Accounts
		m.current = &Epoch{Number: m.stake.Epoch(), EndHeight: g.Params.EpochLength, Set: m.stake.Active()}
		for _, a := range g.Accounts {
			m.accounts[a.Address] = Account{Balance: a.Balance}
		}
	default:
		return fmt.Errorf("load staking state: %w", err)
	}
	m.epochs[m.current.Number] = m.current
	m.view = clone(m.stake)
	return nil
}

// Staking returns a read-only view of the staking state as of the last
// applied block. Callers must not modify it.
func (m *Machine) Staking() *staking.State {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.view
}

// Apply executes committed blocks in order and returns the writes to store
// with the commit. Receipts are written once and never change:
//   - a transaction that executes gets a receipt, OK or a failure with its
//     reason; a failed one changes nothing but its sender's nonce;
//   - one that can never execute (bad signature, another chain) gets a
//     failure receipt, unless it already has a receipt;
//   - one whose nonce is not the sender's next changes nothing and gets no
//     receipt: a replay keeps its first receipt, and one sent ahead of a
//     gap may still execute once the gap is filled.
func (m *Machine) Apply(blocks []*types.Block) []store.KV {
	var kvs []store.KV
	bk := &bank{m: m, dirty: map[staking.Address]bool{}}
	rec := &records{m: m}
	// Receipts this Apply writes, which the index has only once Apply
	// returns: a transaction that did not execute must not get a second.
	n := 0
	for _, b := range blocks {
		n += len(b.Txs)
	}
	written := make(map[types.Hash]struct{}, n)
	entries := make([]txindex.Entry, 0, n)
	stakingDirty, daoDirty := false, false
	m.executed = m.executed[:0]
	if m.fresh {
		for _, a := range m.genesisW {
			bk.SetBalance(a.Address, a.Balance)
		}
		kvs = append(kvs, m.genesisWrites()...)
		m.fresh, m.genesisW, stakingDirty = false, nil, true
	}
	for _, b := range blocks {
		if b.QC != nil && !b.QC.IsGenesis() {
			m.stake.RecordBlock(b.Proposer, b.QC.Signers)
		} else {
			m.stake.RecordBlock(b.Proposer, nil)
		}
		rec.height, rec.events = b.Height, 0
		recStart, blockDAO := len(rec.kvs), false
		var blockW []store.KV
		bk.startBlock()
		ok := m.checkSigs(b.Txs)
		receipts := newBlockReceipts(len(b.Txs))
		for i, tx := range b.Txs {
			r, executed := m.applyTx(bk, rec, b.Height, tx, ok[i])
			if executed && tx.Kind >= idao.FirstKind && tx.Kind <= idao.LastKind {
				daoDirty, blockDAO = true, true
			} else if executed && tx.Kind != KindMemo && tx.Kind != KindEpochSig {
				stakingDirty = true
			}
			h := tx.Hash()
			// Only the rare permanent failures need the receipt lookup.
			if r.Code == BadNonce || (!executed && m.committed(h, written, b.Height)) {
				receipts.add(r, false)
				continue
			}
			written[h] = struct{}{}
			receipts.add(r, true)
			entries = append(entries, txindex.Entry{Hash: h, Loc: txindex.Loc{Height: b.Height, Index: uint32(i)}})
		}
		if len(b.Txs) > 0 {
			kvs = append(kvs, store.KV{Key: receiptsKey(b.Height), Value: receipts.encoded()})
		}
		if ch := m.stake.EndBlock(bk, b.Height); ch != nil {
			ekv := m.startEpoch(ch, b)
			kvs = append(kvs, ekv)
			blockW = append(blockW, ekv)
			stakingDirty = true
		}
		if m.endBlockDAO(bk, rec, b.Height) {
			daoDirty, blockDAO = true, true
		}
		kvs = append(kvs, m.commitBlock(b.Height, bk, rec.kvs[recStart:], blockW, blockDAO)...)
	}
	kvs = append(kvs, rec.kvs...)
	if daoDirty {
		kvs = append(kvs, store.KV{Key: []byte{pIDAO}, Value: m.dao.Encode()})
		view := cloneDAO(m.dao)
		m.mu.Lock()
		m.daoView = view
		m.mu.Unlock()
	}
	if len(blocks) > 0 {
		m.index.Add(blocks[len(blocks)-1].Height, entries)
	}
	kvs = append(kvs, bk.writes()...)
	kvs = append(kvs, m.extra...)
	m.extra = nil
	if len(blocks) > 0 || stakingDirty {
		// Liveness counters change with every block, so the staking record
		// is written with every commit; it is small (one entry per validator
		// and delegation).
		kvs = append(kvs, store.KV{Key: []byte{pStaking}, Value: m.stake.Encode()})
	}
	if len(blocks) > 0 || stakingDirty {
		view := clone(m.stake)
		m.mu.Lock()
		m.view = view
		m.mu.Unlock()
	}
	return kvs
}

// clone copies the staking state for readers through its canonical
// encoding, so a reader never sees a half-applied block.
func clone(s *staking.State) *staking.State {
	c, err := staking.Decode(s.Encode())
	if err != nil {
		panic(fmt.Sprintf("staking state does not survive its own encoding: %v", err)) // a bug, not bad input
	}
	return c
}

func (m *Machine) startEpoch(ch *staking.EpochChange, last *types.Block) store.KV {
	e := &Epoch{Number: ch.Epoch, LastHeight: last.Height, LastBlock: last.ID(),
		EndHeight: last.Height + m.stake.Params().EpochLength, Set: ch.Set}
	m.mu.Lock()
	m.epochs[e.Number] = e
	m.current = e
	m.mu.Unlock()
	return store.KV{Key: epochKey(e.Number), Value: encodeEpoch(e)}
}

// applyTx runs one transaction. executed reports whether it took its
// nonce (and so has a receipt that no replay may overwrite).
func (m *Machine) applyTx(bk *bank, rec *records, height uint64, tx *types.Tx, sigOK bool) (r Receipt, executed bool) {
	switch {
	case !sigOK:
		return Receipt{Code: BadSignature}, false
	case tx.ChainID != m.chainID:
		return Receipt{Code: WrongChain}, false
	case tx.Nonce != m.Nonce(tx.Sender):
		return Receipt{Code: BadNonce}, false
	}
	var sender staking.Address
	copy(sender[:], tx.Sender)
	var err error
	switch {
	case tx.Kind == KindMemo:
	case tx.Kind == KindEpochSig:
		r.Code, err = m.execEpochSig(tx.Body)
	case tx.Kind <= staking.KindEvidence:
		err = m.stake.Exec(staking.Ctx{Bank: bk, Height: height}, sender, tx.Kind, tx.Body)
	case tx.Kind >= idao.FirstKind && tx.Kind <= idao.LastKind:
		err = m.dao.Exec(idao.Ctx{Bank: bk, Staking: m.stake, Records: rec, Height: height}, sender, tx.Kind, tx.Body)
	default:
		err = fmt.Errorf("transaction kind %d is not known", tx.Kind)
		r.Code = UnknownKind
	}
	// The nonce is used even when execution fails, so the failed
	// transaction cannot be replayed; nothing else changed.
	bk.setNonce(sender, tx.Nonce+1)
	if err != nil {
		if f, ok := err.(*staking.Failure); ok {
			r.Code = Code(f.Code)
		}
		if f, ok := err.(*idao.Failure); ok {
			r.Code = Code(f.Code)
		}
		if r.Code == OK {
			r.Code = Failed
		}
		r.Reason = err.Error()
	}
	return r, true
}

// committed reports whether h has a receipt from before the block at
// height: written by this Apply or indexed by an earlier one. An entry at
// height or above is this block's own, indexed before a crash undid the
// state that went with it.
func (m *Machine) committed(h types.Hash, written map[types.Hash]struct{}, height uint64) bool {
	if _, ok := written[h]; ok {
		return true
	}
	loc, ok, err := m.index.Lookup(h)
	return err == nil && ok && loc.Height < height
}

// Flushed tells the machine its writes are durable, so the read-ahead
// caches can be dropped once they grow.
func (m *Machine) Flushed() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.accounts)+len(m.artifacts) > 200_000 {
		clear(m.accounts)
		clear(m.artifacts)
		m.cacheGen++
	}
}

func (m *Machine) checkSigs(txs []*types.Tx) []bool {
	ok := make([]bool, len(txs))
	known := m.verified(txs)
	var check []*types.Tx
	var pos []int
	for i, tx := range txs {
		if i < len(known) && known[i] {
			ok[i] = true
			continue
		}
		check = append(check, tx)
		pos = append(pos, i)
	}
	m.sigChecks.Add(uint64(len(check)))
	for j, v := range types.VerifyTxs(check) {
		ok[pos[j]] = v
	}
	return ok
}
