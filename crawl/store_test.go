package crawl_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gocolly/colly/v2"
	"github.com/gocolly/colly/v2/queue"
	bolt "go.etcd.io/bbolt"

	"github.com/grabhq/grab/crawl"
	"github.com/grabhq/grab/internal/testkit"
)

// stores returns one of each Store, fresh.
func stores(t *testing.T) map[string]func() crawl.Store {
	return map[string]func() crawl.Store{
		"memory": func() crawl.Store { return &crawl.Memory{} },
		"bolt": func() crawl.Store {
			b, err := crawl.OpenBolt(filepath.Join(t.TempDir(), "state.db"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { b.Close() })
			return b
		},
		"redis": func() crawl.Store {
			u := testkit.StartRedis(t)
			r, err := crawl.OpenRedis(t.Context(), u, "test:")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { r.Close() })
			return r
		},
	}
}

func TestStoreContract(t *testing.T) {
	for name, mk := range stores(t) {
		t.Run(name, func(t *testing.T) {
			ctx := t.Context()
			s := mk()
			e := func(u string, d int) crawl.Entry {
				return crawl.Entry{URL: "http://h/" + u, Depth: d, Parent: "http://h/"}
			}
			n, err := s.Push(ctx, e("a", 0), e("b", 1), e("a", 2))
			if err != nil || n != 2 {
				t.Fatalf("Push(a, b, a) = %d, %v; want 2", n, err)
			}
			if n, _ := s.Push(ctx, e("b", 0)); n != 0 {
				t.Errorf("Push(b) again = %d, want 0", n)
			}
			got, st, err := s.Pop(ctx, 0)
			if err != nil || st != crawl.Popped || got != e("a", 0) {
				t.Fatalf("Pop = %+v, %v, %v; want a", got, st, err)
			}
			if q, l, _ := s.Pending(ctx); q != 1 || l != 1 {
				t.Errorf("Pending = %d queued, %d leased; want 1, 1", q, l)
			}
			if _, st, _ := s.Pop(ctx, 1); st != crawl.Limit {
				t.Errorf("Pop(limit 1) after one start = %v, want Limit", st)
			}
			if err := s.Release(ctx, got); err != nil {
				t.Fatal(err)
			}
			again, _, _ := s.Pop(ctx, 1)
			if again != got {
				t.Errorf("Pop after Release = %+v, want %+v (the front)", again, got)
			}
			if err := s.Done(ctx, again, "http://h/final", []crawl.Entry{e("c", 1), e("b", 1), e("final", 1)}); err != nil {
				t.Fatal(err)
			}
			for _, u := range []string{"http://h/final", "http://h/c", "http://h/a"} {
				if ok, _ := s.Seen(ctx, u); !ok {
					t.Errorf("Seen(%s) = false", u)
				}
			}
			if ok, _ := s.Seen(ctx, "http://h/zzz"); ok {
				t.Error("Seen(zzz) = true")
			}
			var order []string
			for {
				x, st, err := s.Pop(ctx, 0)
				if err != nil {
					t.Fatal(err)
				}
				if st == crawl.Empty {
					break
				}
				order = append(order, strings.TrimPrefix(x.URL, "http://h/"))
				if err := s.Done(ctx, x, "", nil); err != nil {
					t.Fatal(err)
				}
			}
			if strings.Join(order, ",") != "b,c" {
				t.Errorf("popped %v, want [b c]", order)
			}
			if q, l, _ := s.Pending(ctx); q != 0 || l != 0 {
				t.Errorf("Pending at the end = %d, %d; want 0, 0", q, l)
			}
			if n, _ := s.Started(ctx); n != 3 {
				t.Errorf("Started = %d, want 3", n)
			}
		})
	}
}

// TestStoreConcurrentPop: many goroutines popping one store get each
// entry exactly once.
func TestStoreConcurrentPop(t *testing.T) {
	for name, mk := range stores(t) {
		t.Run(name, func(t *testing.T) {
			ctx := t.Context()
			s := mk()
			const n = 300
			var es []crawl.Entry
			for i := range n {
				es = append(es, crawl.Entry{URL: fmt.Sprintf("http://h/%d", i)})
			}
			if _, err := s.Push(ctx, es...); err != nil {
				t.Fatal(err)
			}
			var mu sync.Mutex
			got := map[string]int{}
			var wg sync.WaitGroup
			for range 8 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for range n + 1 {
						e, st, err := s.Pop(ctx, 0)
						if err != nil || st != crawl.Popped {
							return
						}
						mu.Lock()
						got[e.URL]++
						mu.Unlock()
						s.Done(ctx, e, "", nil)
					}
				}()
			}
			wg.Wait()
			if len(got) != n {
				t.Errorf("popped %d distinct entries, want %d", len(got), n)
			}
			for u, c := range got {
				if c != 1 {
					t.Errorf("%s popped %d times", u, c)
				}
			}
		})
	}
}

// TestBoltReopen: leases left open by a process that died go back to the
// queue when the file is opened again; finished pages stay finished.
func TestBoltReopen(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "state.db")
	b, err := crawl.OpenBolt(path)
	if err != nil {
		t.Fatal(err)
	}
	b.Push(ctx, crawl.Entry{URL: "http://h/1"}, crawl.Entry{URL: "http://h/2"}, crawl.Entry{URL: "http://h/3"})
	e1, _, _ := b.Pop(ctx, 0)
	b.Done(ctx, e1, "", nil)
	e2, _, _ := b.Pop(ctx, 0) // leased, never finished
	if _, err := crawl.OpenBolt(path); err == nil {
		t.Error("a second OpenBolt of a file in use succeeded")
	}
	b.Close()
	b, err = crawl.OpenBolt(path)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if q, l, _ := b.Pending(ctx); q != 2 || l != 0 {
		t.Errorf("Pending after reopen = %d, %d; want 2, 0", q, l)
	}
	if n, _ := b.Started(context.Background()); n != 1 {
		t.Errorf("Started after reopen = %d, want 1", n)
	}
	if got, _, _ := b.Pop(ctx, 0); got != e2 {
		t.Errorf("first Pop after reopen = %+v, want the lost lease %+v", got, e2)
	}
}

// TestBoltDamaged: a damaged state file, or another program's bbolt file
// (a grab job's state), is an error naming the file, where bbolt panicked
// or took a SIGBUS on some, and a job's state was written into.
func TestBoltDamaged(t *testing.T) {
	dir := t.TempDir()
	full := filepath.Join(dir, "full.db")
	b, err := crawl.OpenBolt(full)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 300 {
		b.Push(t.Context(), crawl.Entry{URL: fmt.Sprintf("http://127.0.0.1/%d/%s", i, strings.Repeat("x", 200))})
	}
	b.Close()
	data, err := os.ReadFile(full)
	if err != nil {
		t.Fatal(err)
	}
	job := filepath.Join(dir, "job.state")
	db, err := bolt.Open(job, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	db.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucket([]byte("items"))
		return err
	})
	db.Close()
	for name, tt := range map[string]struct {
		content []byte // nil: the file at path as it is
		path    string
		want    string
	}{
		"cut":       {data[:100000], "", "is damaged"},
		"cut short": {data[:5000], "", "is damaged"},
		"garbage":   {[]byte("not a database"), "", "is damaged"},
		"a job's":   {nil, job, `not a crawl's state file (it holds "items")`},
	} {
		path := tt.path
		if tt.content != nil {
			path = filepath.Join(dir, strings.ReplaceAll(name, " ", "-")+".db")
			os.WriteFile(path, tt.content, 0o600)
		}
		b, err := crawl.OpenBolt(path)
		if err == nil {
			b.Close()
			t.Errorf("%s: OpenBolt succeeded", name)
			continue
		}
		if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: OpenBolt = %v, want %q naming the file", name, err, tt.want)
		}
	}
}

// TestRecordError: a record that cannot be written stops the crawl, and
// its page stays owed: the crawl resumed from the same file fetches it
// and every page once in all.
func TestRecordError(t *testing.T) {
	s := newSite(t)
	path := filepath.Join(t.TempDir(), "state.db")
	seen := map[string]int{}
	run := func(failAt int) (crawl.Stats, error) {
		b, err := crawl.OpenBolt(path)
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		n := 0
		c, _ := s.crawler()
		c.Store, c.MaxDepth, c.Parallelism = b, -1, 1
		c.Record = func(p crawl.Page) error {
			if n++; n == failAt {
				return errors.New("no space left on device")
			}
			seen[p.URL]++
			return nil
		}
		return c.Run(t.Context(), s.url+"/site/10/page/0.html")
	}
	if _, err := run(3); err == nil || !strings.Contains(err.Error(), "crawl: recording ") || !strings.Contains(err.Error(), "no space left on device") {
		t.Fatalf("first Run = %v, want the record's error", err)
	}
	if len(seen) != 2 {
		t.Fatalf("%d pages recorded before the error, want 2", len(seen))
	}
	if _, err := run(0); err != nil {
		t.Fatal(err)
	}
	if len(seen) != 10 {
		t.Errorf("%d pages recorded in all, want the site's 10: %v", len(seen), seen)
	}
	for u, n := range seen {
		if n != 1 {
			t.Errorf("%s recorded %d times", u, n)
		}
	}
}

// TestRedisLeases: a live owner renews its leases, so another process
// never takes its pages; a page taken over after its owner stopped
// renewing is the new owner's, and the old owner's Release or Done leaves
// it alone (no page fetched a third time).
func TestRedisLeases(t *testing.T) {
	ctx := t.Context()
	u := testkit.StartRedis(t)
	shared, err := crawl.OpenRedis(ctx, u, "leases:")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { shared.Close() })
	const lease = 1500 * time.Millisecond // renewed every 500 ms: a second of slack
	a, b, e := leasedPair(t, u, "leases:", lease)
	// Twice the lease, in steps, with a renewing: b finds nothing.
	for range 4 {
		time.Sleep(lease / 2)
		if got, st, err := b.Pop(ctx, 0); st != crawl.Empty || err != nil {
			t.Fatalf("b.Pop while a renews = %+v, %v, %v; want Empty", got, st, err)
		}
	}
	// a stops renewing (as a process cut off from the server): b takes
	// the page over once the lease runs out.
	taken := takeOver(t, a, b, e, lease)
	if err := a.Release(ctx, e); err != nil {
		t.Fatal(err)
	}
	if q, l, _ := shared.Pending(ctx); q != 0 || l != 1 {
		t.Errorf("after a's Release of b's page: %d queued, %d leased; want 0, 1", q, l)
	}
	if err := a.Done(ctx, e, "", []crawl.Entry{{URL: "http://h/2", Depth: 1}}); err != nil {
		t.Fatal(err)
	}
	if q, l, _ := shared.Pending(ctx); q != 1 || l != 1 {
		t.Errorf("after a's Done of b's page: %d queued, %d leased; want 1 (its link), 1 (b's)", q, l)
	}
	if err := b.Done(ctx, taken, "", nil); err != nil {
		t.Fatal(err)
	}
	if q, l, _ := shared.Pending(ctx); q != 1 || l != 0 {
		t.Errorf("after b's Done: %d queued, %d leased; want 1, 0", q, l)
	}
	b.Close()
	if _, _, err := b.Pop(ctx, 0); !errors.Is(err, crawl.ErrStoreClosed) {
		t.Errorf("Pop after Close = %v, want ErrStoreClosed (its lease would not be renewed)", err)
	}
}

// TestStoreCollyQueue: each store serves colly's queue: URLs queued once,
// taken in order; a request the store cannot keep whole (a POST, a body,
// header fields) is refused with an error saying so, never stored as a
// plain GET.
func TestStoreCollyQueue(t *testing.T) {
	for name, mk := range stores(t) {
		t.Run(name, func(t *testing.T) {
			s := mk()
			q, err := queue.New(1, s.(queue.Storage))
			if err != nil {
				t.Fatal(err)
			}
			for _, u := range []string{"http://h/a", "http://H/a", "http://h/b"} {
				if err := q.AddURL(u); err != nil {
					t.Fatalf("AddURL(%s): %v", u, err)
				}
			}
			if n, err := q.Size(); n != 2 || err != nil {
				t.Errorf("Size = %d, %v; want 2", n, err)
			}
			want := 3 // and http://h/form, below
			u, _ := url.Parse("http://h/form")
			h := http.Header{"X-Token": {"t"}}
			// What colly gives a callback: its User-Agent, the URL's
			// host as Host; nothing a store loses.
			ua := http.Header{"User-Agent": {"colly"}}
			if err := q.AddRequest(&colly.Request{URL: u, Method: "GET", Headers: &ua, Host: "h"}); err != nil {
				t.Errorf("AddRequest of a request as colly makes it: %v", err)
			}
			for _, tt := range []struct {
				req  *colly.Request
				want string
			}{
				{&colly.Request{URL: u, Method: "POST", Body: strings.NewReader("k=v")}, `method "POST", a body`},
				{&colly.Request{URL: u, Method: "GET", Headers: &h}, "header fields"},
				{&colly.Request{URL: u, Method: "GET", Host: "other.example"}, "a Host"},
			} {
				err := q.AddRequest(tt.req)
				if err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Errorf("AddRequest(%s with %s) = %v; want an error naming %s", tt.req.Method, tt.want, err, tt.want)
				}
			}
			if n, _ := q.Size(); n != want {
				t.Errorf("Size after refused requests = %d, want %d", n, want)
			}
			b, err := s.(queue.Storage).GetRequest()
			if err != nil || !strings.Contains(string(b), `"http://h/a"`) {
				t.Errorf("GetRequest = %s, %v; want http://h/a", b, err)
			}
		})
	}
}

// TestRedisReleasedTakeover: a page taken over and given back by its new
// owner, then finished by its first owner, is counted as started once
// (the Release uncounted it, and Started was one low: MaxPages could be
// passed by one).
func TestRedisReleasedTakeover(t *testing.T) {
	ctx := t.Context()
	const lease = 100 * time.Millisecond
	a, b, e := leasedPair(t, testkit.StartRedis(t), "takeover:", lease)
	taken := takeOver(t, a, b, e, lease)
	if err := b.Release(ctx, taken); err != nil {
		t.Fatal(err)
	}
	if err := a.Done(ctx, e, "", nil); err != nil {
		t.Fatal(err)
	}
	if n, err := a.Started(ctx); n != 1 || err != nil {
		t.Errorf("Started = %d, %v; want 1", n, err)
	}
	if q, l, _ := a.Pending(ctx); q != 0 || l != 0 {
		t.Errorf("Pending = %d queued, %d leased; want 0, 0", q, l)
	}
}

// leasedPair opens two Redis stores on the server u under prefix, with
// lease, and has the first push and pop one page, e.
func leasedPair(t *testing.T, u, prefix string, lease time.Duration) (a, b *crawl.Redis, e crawl.Entry) {
	t.Helper()
	open := func() *crawl.Redis {
		r, err := crawl.OpenRedis(t.Context(), u, prefix)
		if err != nil {
			t.Fatal(err)
		}
		r.Lease = lease
		t.Cleanup(func() { r.Close() })
		return r
	}
	a, b = open(), open()
	if _, err := a.Push(t.Context(), crawl.Entry{URL: "http://h/1"}); err != nil {
		t.Fatal(err)
	}
	e, st, err := a.Pop(t.Context(), 0)
	if err != nil || st != crawl.Popped {
		t.Fatalf("a.Pop = %v, %v", st, err)
	}
	return a, b, e
}

// takeOver stops a renewing its lease of e and has b pop until it takes e
// over, for at most 20 leases and at least 5 seconds.
func takeOver(t *testing.T, a, b *crawl.Redis, e crawl.Entry, lease time.Duration) crawl.Entry {
	t.Helper()
	crawl.StopRenewing(a)
	var taken crawl.Entry
	var err error
	for deadline := time.Now().Add(max(20*lease, 5*time.Second)); time.Now().Before(deadline); time.Sleep(lease / 4) {
		var st crawl.PopState
		if taken, st, err = b.Pop(t.Context(), 0); err != nil || st == crawl.Popped {
			break
		}
	}
	if taken != e {
		t.Fatalf("b.Pop after a's lease ran out = %+v, %v; want %+v", taken, err, e)
	}
	return taken
}
