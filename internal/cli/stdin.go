package cli

import (
	"context"
	"io"
)

// ctxReader makes a read of stdin end when ctx does, so that the first
// SIGINT, SIGTERM or SIGHUP stops a command waiting for input (a terminal, or a
// pipe whose writer stalls), as curl and Python stop: the read waiting
// returns ctx's cause, and is left to end with the process. Each Read of
// the underlying reader runs on its own goroutine, into a buffer of the
// ctxReader's.
type ctxReader struct {
	ctx  context.Context
	r    io.Reader
	buf  []byte
	res  chan readResult // the read in flight, or nil
	left []byte          // read and not yet returned
	err  error           // the underlying reader's, once left is empty
}

type readResult struct {
	n   int
	err error
}

func newCtxReader(ctx context.Context, r io.Reader) *ctxReader {
	return &ctxReader{ctx: ctx, r: r}
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if len(c.left) == 0 && c.err == nil {
		if err := context.Cause(c.ctx); err != nil {
			return 0, err
		}
		if c.res == nil {
			if c.buf == nil {
				c.buf = make([]byte, 32<<10)
			}
			res := make(chan readResult, 1)
			go func() {
				n, err := c.r.Read(c.buf)
				res <- readResult{n, err}
			}()
			c.res = res
		}
		select {
		case r := <-c.res:
			// The buffer is the reader's again: no read is in flight.
			c.res, c.left, c.err = nil, c.buf[:r.n], r.err
		case <-c.ctx.Done():
			return 0, context.Cause(c.ctx) // the read is abandoned, and its buffer
		}
	}
	n := copy(p, c.left)
	c.left = c.left[n:]
	if n == 0 {
		return 0, c.err
	}
	return n, nil
}
