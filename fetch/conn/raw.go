package conn

import (
	"fmt"
	"strings"
	"time"
)

// SendRaw writes p to the connection exactly as given, in raw mode only
// ([WithRaw]): the first call of an exchange starts a request (its first
// word is taken as the method, so a HEAD response is read without a body),
// later calls add to it, and GetResponse reads the answer. It is the
// textbook's telnet session: what the caller types is what the server
// gets.
func (c *Conn) SendRaw(p []byte) error {
	if !c.cfg.raw {
		return fmt.Errorf("%w: SendRaw needs raw mode (WithRaw)", ErrInvalid)
	}
	switch c.state {
	case stIdle:
		method, _, _ := strings.Cut(string(p[:min(len(p), maxMethodLen+1)]), " ")
		c.method = method
		c.framing, c.declared, c.sent, c.expect, c.pending = frameNone, 0, 0, false, nil
		c.begin()
		c.reusable = false
		c.state = stBody
	case stBody:
	default:
		return c.checkState(stBody, "SendRaw")
	}
	if _, err := c.bw.Write(p); err != nil {
		return c.fail(c.writeErr("sending raw bytes", err))
	}
	if err := c.bw.Flush(); err != nil {
		return c.fail(c.writeErr("sending raw bytes", err))
	}
	if c.timings.HeadWritten.IsZero() {
		c.timings.HeadWritten = time.Now()
	}
	return nil
}
