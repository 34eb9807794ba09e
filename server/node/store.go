package node

import (
	"sync"

	"github.com/zabplay/zabplay/core"
)

// Store is where a node's writes become durable. Persist performs the writes
// in order and fsyncs them, and returns the Seq of the last one; the node
// then tells the core (MsgPersisted). A Persist error is fatal to the node,
// as a failed fsync is to a ZooKeeper server.
type Store interface {
	Persist(ws []core.Write) (lastSeq uint64, err error)
	Close() error
}

// MemStore is a Store in memory: a core.Durable updated with Write.ApplyTo.
// It survives a node's Close, so a test can restart a node from it.
type MemStore struct {
	mu sync.Mutex
	d  core.Durable
}

var _ Store = (*MemStore)(nil)

// Persist applies the writes.
func (s *MemStore) Persist(ws []core.Write) (uint64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, w := range ws {
		w.ApplyTo(&s.d)
	}
	if len(ws) == 0 {
		return 0, nil
	}
	return ws[len(ws)-1].Seq, nil
}

// Close does nothing: the contents stay for a restart.
func (s *MemStore) Close() error { return nil }

// Durable returns a copy of what was persisted, to restart a node from.
func (s *MemStore) Durable() core.Durable {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.d
	d.Log = append([]core.Entry(nil), s.d.Log...)
	return d
}
