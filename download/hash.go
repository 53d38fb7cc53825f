package download

import "hash"

// pipeMin is the body size from which a transfer hashes on a goroutine of
// its own: below it, handing buffers over costs more than it saves.
const pipeMin = 1 << 20

// pipeHash feeds buffers to a hash on another goroutine while the transfer
// reads the next one, so that with a second core SHA-256 costs the
// transfer no time. It cycles the buffers it is given: one is filled while
// the others are hashed.
type pipeHash struct {
	h    hash.Hash
	full chan []byte
	free chan []byte
	done chan struct{}
}

// newPipeHash starts hashing into h; first is the buffer the caller fills
// first, more the others.
func newPipeHash(h hash.Hash, more ...[]byte) *pipeHash {
	p := &pipeHash{
		h:    h,
		full: make(chan []byte, len(more)+1),
		free: make(chan []byte, len(more)+1),
		done: make(chan struct{}),
	}
	for _, b := range more {
		p.free <- b
	}
	go p.run()
	return p
}

func (p *pipeHash) run() {
	defer close(p.done)
	for b := range p.full {
		p.h.Write(b)
		p.free <- b[:cap(b)]
	}
}

// next hands b, filled, to the hash and returns a free buffer.
func (p *pipeHash) next(b []byte) []byte {
	p.full <- b
	return <-p.free
}

// wait returns once every buffer handed over is hashed; the pipe is
// finished and its buffers free.
func (p *pipeHash) wait() {
	close(p.full)
	<-p.done
}
