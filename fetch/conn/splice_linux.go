package conn

import (
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// splicePipe is the pipe splice(2) moves a body's bytes through, from the
// socket to the file: one a connection, made on its first ReadFile and
// closed with it. Its ends are *os.File so that a Close racing a splice
// waits for the splice rather than freeing a descriptor in use.
type splicePipe struct {
	r, w   *os.File
	rr, rw syscall.RawConn // of r and w, made once
	sock   syscall.RawConn // the connection's socket
	f      *os.File        // the last file written (kept alive here, so never
	fc     syscall.RawConn // another at its address), and its RawConn

	// One splice's arguments and results, for the functions below, which
	// are bound once so that a splice allocates nothing (a 2 GiB body
	// takes tens of thousands).
	max, n, k    int64
	err          error
	sfd, rfd     uintptr
	fromSocketFn func(uintptr) bool
	toPipeFn     func(uintptr)
	fromPipeFn   func(uintptr)
	toFileFn     func(uintptr)
}

// pipeSize is the pipe's capacity asked for (as Go's own splice does): a
// 50 MiB body then takes 50 pairs of calls, not 800 with the default
// 64 KiB. A refusal leaves the default.
const pipeSize = 1 << 20

func newSplicePipe(nc net.Conn) (*splicePipe, error) {
	sock, err := nc.(syscall.Conn).SyscallConn()
	if err != nil {
		return nil, err
	}
	r, w, err := os.Pipe() // non-blocking, in the poller, close-on-exec
	if err != nil {
		return nil, err
	}
	p := &splicePipe{r: r, w: w, sock: sock}
	p.fromSocketFn, p.toPipeFn, p.fromPipeFn, p.toFileFn = p.fromSocket, p.toPipe, p.fromPipe, p.toFile
	if p.rr, err = p.r.SyscallConn(); err == nil {
		p.rw, err = p.w.SyscallConn()
	}
	if err != nil {
		p.close()
		return nil, err
	}
	p.rr.Control(func(fd uintptr) { unix.FcntlInt(fd, unix.F_SETPIPE_SZ, pipeSize) })
	return p, nil
}

func (p *splicePipe) close() {
	p.r.Close()
	p.w.Close()
}

// fromSocket, under the socket's RawConn.Read, splices from it into the
// pipe; false (EAGAIN) waits for the socket in the poller.
func (p *splicePipe) fromSocket(sfd uintptr) bool {
	p.sfd = sfd
	if err := p.rw.Control(p.toPipeFn); err != nil {
		p.err = err
	}
	return p.err != unix.EAGAIN
}

func (p *splicePipe) toPipe(wfd uintptr) {
	for {
		p.n, p.err = unix.Splice(int(p.sfd), nil, int(wfd), nil, int(min(p.max, pipeSize)), unix.SPLICE_F_MOVE|unix.SPLICE_F_NONBLOCK)
		if p.err != unix.EINTR {
			return
		}
	}
}

// fromPipe, under the pipe's RawConn.Control, splices what is left in
// the pipe, up to max bytes, into the file.
func (p *splicePipe) fromPipe(rfd uintptr) {
	p.rfd = rfd
	if err := p.fc.Control(p.toFileFn); err != nil {
		p.err = err
	}
}

func (p *splicePipe) toFile(ffd uintptr) {
	for {
		p.k, p.err = unix.Splice(int(p.rfd), nil, int(ffd), nil, int(p.max), unix.SPLICE_F_MOVE)
		if p.err != unix.EINTR {
			return
		}
	}
}

// canSplice reports whether the connection is a socket splice(2) reads.
func (c *Conn) canSplice() bool {
	switch c.nc.(type) {
	case *net.TCPConn, *net.UnixConn:
		return true
	}
	return false
}

// splice moves up to max bytes, as many as the socket has (waiting for
// the first), from the connection to f at its offset. It returns 0 and
// no error when the server closed the connection, and a *FileWriteError
// when f refused bytes taken from the socket (they are lost: the caller
// closes the connection).
func (c *Conn) splice(f *os.File, max int64) (int64, error) {
	p := c.pipe.Load()
	if p == nil {
		var err error
		if p, err = newSplicePipe(c.nc); err != nil {
			return 0, err
		}
		c.pipe.Store(p)
		if c.closed.Load() { // Close ran meanwhile and missed it
			c.pipe.Store(nil)
			p.close()
			return 0, net.ErrClosed
		}
	}
	// Socket to pipe: the socket is non-blocking; EAGAIN waits for it in
	// the poller, under the connection's read deadline.
	p.max, p.n, p.err = max, 0, nil
	if err := p.sock.Read(p.fromSocketFn); err != nil {
		return 0, err
	}
	n := p.n
	if p.err != nil {
		return 0, os.NewSyscallError("splice", p.err)
	}
	// Pipe to file: the pipe holds n bytes; a regular file takes them.
	if p.f != f {
		fc, err := f.SyscallConn()
		if err != nil {
			return 0, &FileWriteError{err}
		}
		p.f, p.fc = f, fc
	}
	done := int64(0)
	for done < n {
		p.max, p.k, p.err = n-done, 0, nil
		if err := p.rr.Control(p.fromPipeFn); err != nil {
			p.err = err
		}
		k, werr := p.k, p.err
		switch {
		case werr == unix.EINVAL && done == 0, werr == unix.EAGAIN:
			// f takes no splice (a terminal, a file opened to append), or
			// is a pipe or FIFO that is full: splice from our non-blocking
			// pipe does not wait for its reader (the kernel makes the
			// whole call non-blocking). The bytes in the pipe go by read
			// and write, which wait, and the body reads from then on.
			if err := drainPipe(p.rr, f, n-done); err != nil {
				return done, err
			}
			return n, errSpliceRefused
		case werr == nil && k == 0:
			werr = errors.New("splice wrote nothing")
		}
		if werr != nil {
			return done, &FileWriteError{&os.PathError{Op: "splice", Path: f.Name(), Err: werr}}
		}
		done += k
	}
	return n, nil
}

// drainPipe writes the n bytes waiting in the pipe (rc, its read end) to
// f, through memory.
func drainPipe(rc syscall.RawConn, f *os.File, n int64) error {
	var buf [32 << 10]byte
	for n > 0 {
		var k int
		var rerr error
		if cerr := rc.Control(func(fd uintptr) {
			for {
				k, rerr = unix.Read(int(fd), buf[:min(n, int64(len(buf)))])
				if rerr != unix.EINTR {
					break
				}
			}
		}); cerr != nil {
			rerr = cerr
		}
		if rerr == nil && k == 0 {
			rerr = errors.New("the pipe ran dry")
		}
		if rerr != nil {
			return &FileWriteError{fmt.Errorf("reading back the splice pipe: %w", rerr)}
		}
		if _, err := f.Write(buf[:k]); err != nil {
			return &FileWriteError{err}
		}
		n -= int64(k)
	}
	return nil
}
