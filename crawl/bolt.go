package crawl

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"time"

	"github.com/gocolly/colly/v2/queue"
	"github.com/gocolly/colly/v2/storage"
	bolt "go.etcd.io/bbolt"

	"github.com/grabhq/grab/internal/boltfile"
)

// Bolt is a Store in one bbolt file, so a crawl stopped by Ctrl-C, kill -9
// or a crash continues where it was when run again with the same file:
// every page finished before the stop stays finished (not fetched again),
// and every page queued or in flight is fetched. A page is finished, with
// its links queued, in one transaction after its record was delivered to
// OnPage, so a page in flight at a kill -9 is fetched again and its record
// may be delivered twice (at most Parallelism pages); after Ctrl-C (the
// context cancelled) no page is delivered twice. The crawl's cookies are
// kept in the file too, a jar per site (see Crawler.Store). One process at
// a time may open a file; Redis is for sharing.
type Bolt struct {
	db *bolt.DB
}

var (
	_ Store           = (*Bolt)(nil)
	_ storage.Storage = (*Bolt)(nil)
	_ queue.Storage   = (*Bolt)(nil)
)

var (
	bQueue   = []byte("queue")   // 8-byte sequence -> entry
	bSeen    = []byte("seen")    // URL -> ""
	bLeases  = []byte("leases")  // URL -> entry
	bMeta    = []byte("meta")    // "seq", "started"
	bVisited = []byte("visited") // colly request id -> ""
	bCookies = []byte("cookies") // host -> cookies (colly's storage.Storage)
	bJars    = []byte("jars")    // site -> the crawl's cookies (siteJars)
	kSeq     = []byte("seq")
	kStarted = []byte("started")
	kFormat  = []byte("format")
)

const boltFormat = "grab-crawl-1"

// OpenBolt opens (or creates, mode 0600) the state file at path. Leases
// left by a process that died are given back to the queue. A file another
// process has open is an error after a second.
func OpenBolt(path string) (*Bolt, error) {
	db, err := boltfile.Open(path, time.Second, false)
	switch {
	case errors.Is(err, bolt.ErrTimeout):
		return nil, fmt.Errorf("crawl: state file %s is in use by another process", path)
	case errors.Is(err, boltfile.ErrDamaged):
		return nil, fmt.Errorf("crawl: state file %s is %w; move it away to start the crawl over", path, err)
	case err != nil:
		return nil, fmt.Errorf("crawl: state file %s: %w", path, err)
	}
	b := &Bolt{db: db}
	buckets := [][]byte{bQueue, bSeen, bLeases, bMeta, bVisited, bCookies, bJars}
	err = db.Update(func(tx *bolt.Tx) error {
		if meta := tx.Bucket(bMeta); meta == nil || meta.Get(kFormat) == nil {
			// No format yet: a new file, or another program's bbolt file
			// (a grab job's state), which is not written into.
			if err := tx.ForEach(func(name []byte, _ *bolt.Bucket) error {
				if !slices.ContainsFunc(buckets, func(b []byte) bool { return bytes.Equal(b, name) }) {
					return fmt.Errorf("not a crawl's state file (it holds %q): give the crawl a file of its own", name)
				}
				return nil
			}); err != nil {
				return err
			}
		}
		for _, name := range buckets {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		meta := tx.Bucket(bMeta)
		switch f := meta.Get(kFormat); {
		case f == nil:
			if err := meta.Put(kFormat, []byte(boltFormat)); err != nil {
				return err
			}
		case string(f) != boltFormat:
			return fmt.Errorf("format %q, want %q", f, boltFormat)
		}
		// Leases of a dead process go back to the front of the queue.
		leases := tx.Bucket(bLeases)
		var back [][]byte
		if err := leases.ForEach(func(k, v []byte) error { back = append(back, append([]byte(nil), v...)); return nil }); err != nil {
			return err
		}
		for _, v := range back {
			e, err := decodeEntry(v)
			if err != nil {
				return err
			}
			if err := leases.Delete([]byte(e.URL)); err != nil {
				return err
			}
			if err := pushFront(tx, v); err != nil {
				return err
			}
			if err := addCounter(meta, kStarted, -1); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("crawl: state file %s: %w", path, err)
	}
	return b, nil
}

func counter(b *bolt.Bucket, k []byte) int64 {
	v := b.Get(k)
	if len(v) != 8 {
		return 0
	}
	return int64(binary.BigEndian.Uint64(v))
}

func addCounter(b *bolt.Bucket, k []byte, d int64) error {
	return setCounter(b, k, counter(b, k)+d)
}

func setCounter(b *bolt.Bucket, k []byte, n int64) error {
	var v [8]byte
	binary.BigEndian.PutUint64(v[:], uint64(n))
	return b.Put(k, v[:])
}

// queue keys start in the middle of the uint64 range, so entries given
// back can go before the first.
const seqStart = 1 << 62

func seqKey(n uint64) []byte {
	var k [8]byte
	binary.BigEndian.PutUint64(k[:], n)
	return k[:]
}

func pushBack(tx *bolt.Tx, v []byte) error {
	meta := tx.Bucket(bMeta)
	seq := counter(meta, kSeq)
	if seq == 0 {
		seq = seqStart
	}
	if err := tx.Bucket(bQueue).Put(seqKey(uint64(seq)), v); err != nil {
		return err
	}
	return setCounter(meta, kSeq, seq+1)
}

func pushFront(tx *bolt.Tx, v []byte) error {
	k, _ := tx.Bucket(bQueue).Cursor().First()
	n := uint64(seqStart)
	if k != nil {
		n = binary.BigEndian.Uint64(k) - 1
	}
	return tx.Bucket(bQueue).Put(seqKey(n), v)
}

func pushTx(tx *bolt.Tx, entries []Entry) (int, error) {
	seen := tx.Bucket(bSeen)
	n := 0
	for _, e := range entries {
		k := []byte(e.URL)
		if seen.Get(k) != nil {
			continue
		}
		if err := seen.Put(k, []byte{}); err != nil {
			return n, err
		}
		if err := pushBack(tx, encodeEntry(e)); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// Push implements [Store].
func (b *Bolt) Push(_ context.Context, entries ...Entry) (int, error) {
	var n int
	err := b.db.Update(func(tx *bolt.Tx) error {
		var err error
		n, err = pushTx(tx, entries)
		return err
	})
	return n, wrapBolt(err)
}

// Pop implements [Store].
func (b *Bolt) Pop(_ context.Context, limit int) (Entry, PopState, error) {
	var e Entry
	st := Empty
	err := b.db.Update(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bMeta)
		if limit > 0 && counter(meta, kStarted) >= int64(limit) {
			st = Limit
			return nil
		}
		c := tx.Bucket(bQueue).Cursor()
		k, v := c.First()
		if k == nil {
			return nil
		}
		var err error
		if e, err = decodeEntry(v); err != nil {
			return err
		}
		if err := tx.Bucket(bLeases).Put([]byte(e.URL), append([]byte(nil), v...)); err != nil {
			return err
		}
		if err := c.Delete(); err != nil {
			return err
		}
		st = Popped
		return addCounter(meta, kStarted, 1)
	})
	if err != nil {
		return Entry{}, Empty, wrapBolt(err)
	}
	return e, st, nil
}

// Done implements [Store]. Concurrent calls share one transaction and one
// fsync (bbolt's Batch).
func (b *Bolt) Done(_ context.Context, e Entry, final string, children []Entry) error {
	return wrapBolt(b.db.Batch(func(tx *bolt.Tx) error {
		if err := tx.Bucket(bLeases).Delete([]byte(e.URL)); err != nil {
			return err
		}
		if final != "" {
			if err := tx.Bucket(bSeen).Put([]byte(final), []byte{}); err != nil {
				return err
			}
		}
		_, err := pushTx(tx, children)
		return err
	}))
}

// Release implements [Store].
func (b *Bolt) Release(_ context.Context, e Entry) error {
	return wrapBolt(b.db.Update(func(tx *bolt.Tx) error {
		leases := tx.Bucket(bLeases)
		v := leases.Get([]byte(e.URL))
		if v == nil {
			return nil
		}
		v = append([]byte(nil), v...)
		if err := leases.Delete([]byte(e.URL)); err != nil {
			return err
		}
		if err := pushFront(tx, v); err != nil {
			return err
		}
		return addCounter(tx.Bucket(bMeta), kStarted, -1)
	}))
}

// Seen implements [Store].
func (b *Bolt) Seen(_ context.Context, u string) (bool, error) {
	var ok bool
	err := b.db.View(func(tx *bolt.Tx) error {
		ok = tx.Bucket(bSeen).Get([]byte(u)) != nil
		return nil
	})
	return ok, wrapBolt(err)
}

// Pending implements [Store].
func (b *Bolt) Pending(context.Context) (queued, leased int, err error) {
	err = b.db.View(func(tx *bolt.Tx) error {
		queued = tx.Bucket(bQueue).Stats().KeyN
		leased = tx.Bucket(bLeases).Stats().KeyN
		return nil
	})
	return queued, leased, wrapBolt(err)
}

// Started implements [Store].
func (b *Bolt) Started(context.Context) (int, error) {
	var n int64
	err := b.db.View(func(tx *bolt.Tx) error {
		n = counter(tx.Bucket(bMeta), kStarted)
		return nil
	})
	return int(n), wrapBolt(err)
}

// Close implements [Store]: it closes the file.
func (b *Bolt) Close() error { return b.db.Close() }

func wrapBolt(err error) error {
	if errors.Is(err, bolt.ErrDatabaseNotOpen) {
		return ErrStoreClosed
	}
	return err
}

// Init implements colly's storage.Storage and queue.Storage.
func (b *Bolt) Init() error { return nil }

// Visited implements colly's storage.Storage.
func (b *Bolt) Visited(id uint64) error {
	return wrapBolt(b.db.Batch(func(tx *bolt.Tx) error { return tx.Bucket(bVisited).Put(seqKey(id), []byte{}) }))
}

// IsVisited implements colly's storage.Storage.
func (b *Bolt) IsVisited(id uint64) (bool, error) {
	var ok bool
	err := b.db.View(func(tx *bolt.Tx) error {
		ok = tx.Bucket(bVisited).Get(seqKey(id)) != nil
		return nil
	})
	return ok, wrapBolt(err)
}

// Cookies implements colly's storage.Storage.
func (b *Bolt) Cookies(u *url.URL) string {
	var s string
	b.db.View(func(tx *bolt.Tx) error {
		s = string(tx.Bucket(bCookies).Get([]byte(u.Host)))
		return nil
	})
	return s
}

// SetCookies implements colly's storage.Storage.
func (b *Bolt) SetCookies(u *url.URL, cookies string) {
	b.db.Batch(func(tx *bolt.Tx) error { return tx.Bucket(bCookies).Put([]byte(u.Host), []byte(cookies)) })
}

func (b *Bolt) jar(site string) ([]byte, error) {
	var data []byte
	err := b.db.View(func(tx *bolt.Tx) error {
		data = bytes.Clone(tx.Bucket(bJars).Get([]byte(site)))
		return nil
	})
	return data, wrapBolt(err)
}

func (b *Bolt) setJar(site string, data []byte) error {
	return wrapBolt(b.db.Batch(func(tx *bolt.Tx) error { return tx.Bucket(bJars).Put([]byte(site), data) }))
}

// AddRequest implements colly's queue.Storage.
func (b *Bolt) AddRequest(r []byte) error { return addRequest(b, r) }

// GetRequest implements colly's queue.Storage: the request leaves the
// queue for good.
func (b *Bolt) GetRequest() ([]byte, error) { return getRequest(b) }

// QueueSize implements colly's queue.Storage.
func (b *Bolt) QueueSize() (int, error) { return queueSize(b) }
