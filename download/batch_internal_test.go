package download

import "testing"

// TestOwnOpener: a Client without an Opener makes its own (own: its
// connections are closed at the end), one that reads ReadBufferSize at
// once; a given one is used as it is.
func TestOwnOpener(t *testing.T) {
	b := (&Client{}).newBatch()
	if !b.own || b.opener.ReadBufferSize != ReadBufferSize {
		t.Errorf("own Opener: own %v, ReadBufferSize %d; want true, %d", b.own, b.opener.ReadBufferSize, ReadBufferSize)
	}
	c := &Client{Opener: b.opener}
	if b2 := c.newBatch(); b2.own || b2.opener != b.opener {
		t.Error("a given Opener was not used as it is")
	}
}
