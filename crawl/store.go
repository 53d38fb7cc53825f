package crawl

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"github.com/gocolly/colly/v2/queue"
	"github.com/gocolly/colly/v2/storage"

	"github.com/grabhq/grab/cookies"
	"github.com/grabhq/grab/internal/redact"
)

// Entry is one URL in a crawl's frontier.
type Entry struct {
	URL    string // normalized (see [Normalize]); also the entry's key
	Depth  int    // 0 for a seed
	Parent string // the page that linked here; "" for a seed
}

// PopState says what [Store.Pop] found.
type PopState int

const (
	// Popped: an entry was leased.
	Popped PopState = iota
	// Empty: nothing is queued now (entries may still be leased).
	Empty
	// Limit: the crawl has started its maximum number of pages.
	Limit
)

// Store keeps a crawl's frontier (the queue of URLs to fetch), its seen
// set (every URL ever queued, so each is fetched once) and the leases of the
// pages being fetched. A page is leased by Pop and finished by Done, which
// also queues the page's links, in one step: after a crash, a page is
// either finished with its links queued or still owed, never half done.
//
// Memory, Bolt and Redis implement it; each also implements colly's
// storage.Storage and queue.Storage, so a bare colly Collector or Queue
// can use it. A Store must be safe for concurrent use.
type Store interface {
	// Push queues the entries whose URL was never seen and marks them
	// seen; it returns how many it queued.
	Push(ctx context.Context, entries ...Entry) (int, error)
	// Pop leases the next queued entry, unless limit (> 0) pages have
	// been started already.
	Pop(ctx context.Context, limit int) (Entry, PopState, error)
	// Done finishes the lease of e: final (the URL e redirected to, or
	// "") is marked seen and the children are pushed, all at once.
	Done(ctx context.Context, e Entry, final string, children []Entry) error
	// Release gives the lease of e back, to the front of the queue, and
	// uncounts it: the page was not fetched (the crawl was stopped).
	Release(ctx context.Context, e Entry) error
	// Seen reports whether u was ever queued or finished.
	Seen(ctx context.Context, u string) (bool, error)
	// Pending returns the entries queued and leased, by every process
	// sharing the store.
	Pending(ctx context.Context) (queued, leased int, err error)
	// Started returns the pages started so far (leased or done).
	Started(ctx context.Context) (int, error)
	// Close releases the store's resources (not its data).
	Close() error
}

// ErrStoreClosed is returned by a Store used after Close.
var ErrStoreClosed = errors.New("crawl: store closed")

// wireEntry is an Entry as stored by Bolt and Redis: the JSON of colly's
// serialized Request, so colly's queue can read it.
type wireEntry struct {
	URL    string
	Method string
	Depth  int
	Ctx    map[string]any `json:",omitempty"`
}

func encodeEntry(e Entry) []byte {
	w := wireEntry{URL: e.URL, Method: http.MethodGet, Depth: e.Depth}
	if e.Parent != "" {
		w.Ctx = map[string]any{"parent": e.Parent}
	}
	b, _ := json.Marshal(w) // strings and ints only: cannot fail
	return b
}

func decodeEntry(b []byte) (Entry, error) {
	var w wireEntry
	if err := json.Unmarshal(b, &w); err != nil {
		return Entry{}, fmt.Errorf("crawl: stored entry: %w", err)
	}
	return w.entry()
}

// entry is the Entry w holds.
func (w *wireEntry) entry() (Entry, error) {
	if w.URL == "" {
		return Entry{}, errors.New("crawl: stored entry: no URL")
	}
	e := Entry{URL: w.URL, Depth: w.Depth}
	if p, ok := w.Ctx["parent"].(string); ok {
		e.Parent = p
	}
	return e, nil
}

// fromColly reads a request colly's queue serialized and returns its entry,
// its URL normalized. A store keeps a GET's URL, depth and parent only; a
// request with more (another method, a body, header fields, a Host,
// context values) is refused with an error naming what would be lost.
func fromColly(b []byte) (Entry, error) {
	var w struct {
		wireEntry
		Body    []byte
		Headers http.Header
		Host    string
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return Entry{}, fmt.Errorf("crawl: stored entry: %w", err)
	}
	e, err := w.entry()
	if err != nil {
		return e, err
	}
	var lost []string
	if w.Method != "" && w.Method != http.MethodGet {
		lost = append(lost, "method "+strconv.Quote(w.Method))
	}
	if len(w.Body) > 0 {
		lost = append(lost, "a body")
	}
	// colly gives every request it made its User-Agent (and sets it again
	// when it sends one) and the URL's host as Host: neither is lost.
	for k := range w.Headers {
		if http.CanonicalHeaderKey(k) != "User-Agent" {
			lost = append(lost, "header fields")
			break
		}
	}
	if u, err := url.Parse(e.URL); w.Host != "" && (err != nil || !strings.EqualFold(w.Host, u.Host)) {
		lost = append(lost, "a Host")
	}
	for k, v := range w.Ctx {
		if _, ok := v.(string); k != "parent" || !ok {
			lost = append(lost, "context values")
			break
		}
	}
	if len(lost) > 0 {
		return e, fmt.Errorf("crawl: a store queues GET requests by URL and depth only; the request for %s has %s, which it would lose (use colly's in-memory queue for it)", redact.String(e.URL), strings.Join(lost, ", "))
	}
	n, err := Normalize(e.URL)
	if err != nil {
		return e, err
	}
	e.URL = n.String()
	return e, nil
}

// Memory is the default Store: everything in this process's memory, gone
// when it exits. Its zero value is ready to use.
type Memory struct {
	mu      sync.Mutex
	seen    map[string]struct{}
	queue   []Entry // queue[head:] is queued
	head    int
	leased  map[string]Entry
	started int
	visited map[uint64]struct{} // colly's Visited
	jar     *cookies.Jar        // colly's Cookies
}

var (
	_ Store           = (*Memory)(nil)
	_ storage.Storage = (*Memory)(nil)
	_ queue.Storage   = (*Memory)(nil)
)

func (m *Memory) init() {
	if m.seen == nil {
		m.seen = map[string]struct{}{}
		m.leased = map[string]Entry{}
		m.visited = map[uint64]struct{}{}
	}
}

// Push implements [Store].
func (m *Memory) Push(_ context.Context, entries ...Entry) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.pushLocked(entries), nil
}

func (m *Memory) pushLocked(entries []Entry) int {
	m.init()
	n := 0
	for _, e := range entries {
		if _, ok := m.seen[e.URL]; ok {
			continue
		}
		m.seen[e.URL] = struct{}{}
		m.queue = append(m.queue, e)
		n++
	}
	return n
}

// Pop implements [Store].
func (m *Memory) Pop(_ context.Context, limit int) (Entry, PopState, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.init()
	if limit > 0 && m.started >= limit {
		return Entry{}, Limit, nil
	}
	if m.head == len(m.queue) {
		return Entry{}, Empty, nil
	}
	e := m.queue[m.head]
	m.queue[m.head] = Entry{}
	m.head++
	if m.head > 1024 && m.head*2 > len(m.queue) {
		m.queue = append([]Entry(nil), m.queue[m.head:]...)
		m.head = 0
	}
	m.leased[e.URL] = e
	m.started++
	return e, Popped, nil
}

// Done implements [Store].
func (m *Memory) Done(_ context.Context, e Entry, final string, children []Entry) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.init()
	delete(m.leased, e.URL)
	if final != "" {
		m.seen[final] = struct{}{}
	}
	m.pushLocked(children)
	return nil
}

// Release implements [Store].
func (m *Memory) Release(_ context.Context, e Entry) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.init()
	if _, ok := m.leased[e.URL]; !ok {
		return nil
	}
	delete(m.leased, e.URL)
	m.started--
	if m.head > 0 {
		m.head--
		m.queue[m.head] = e
	} else {
		m.queue = append([]Entry{e}, m.queue...)
	}
	return nil
}

// Seen implements [Store].
func (m *Memory) Seen(_ context.Context, u string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	_, ok := m.seen[u]
	return ok, nil
}

// Pending implements [Store].
func (m *Memory) Pending(context.Context) (int, int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.queue) - m.head, len(m.leased), nil
}

// Started implements [Store].
func (m *Memory) Started(context.Context) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.started, nil
}

// Close implements [Store]; a Memory keeps working after it.
func (m *Memory) Close() error { return nil }

// Init implements colly's storage.Storage and queue.Storage.
func (m *Memory) Init() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.init()
	if m.jar == nil {
		m.jar = new(cookies.Jar)
	}
	return nil
}

// Visited implements colly's storage.Storage.
func (m *Memory) Visited(id uint64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.init()
	m.visited[id] = struct{}{}
	return nil
}

// IsVisited implements colly's storage.Storage.
func (m *Memory) IsVisited(id uint64) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	_, ok := m.visited[id]
	return ok, nil
}

// Cookies implements colly's storage.Storage.
func (m *Memory) Cookies(u *url.URL) string {
	m.Init() // never fails
	return storage.StringifyCookies(m.jar.Cookies(u))
}

// SetCookies implements colly's storage.Storage.
func (m *Memory) SetCookies(u *url.URL, cookies string) {
	m.Init() // never fails
	m.jar.SetCookies(u, storage.UnstringifyCookies(cookies))
}

// AddRequest implements colly's queue.Storage: the request (colly's
// serialized form) is queued unless its URL was seen.
func (m *Memory) AddRequest(b []byte) error { return addRequest(m, b) }

// GetRequest implements colly's queue.Storage: it takes the next request
// off the queue for good (colly's queue has no leases).
func (m *Memory) GetRequest() ([]byte, error) { return getRequest(m) }

// QueueSize implements colly's queue.Storage.
func (m *Memory) QueueSize() (int, error) { return queueSize(m) }

// addRequest, getRequest and queueSize implement colly's queue.Storage
// for any Store.
func addRequest(s Store, b []byte) error {
	e, err := fromColly(b)
	if err != nil {
		return err
	}
	_, err = s.Push(context.Background(), e)
	return err
}

func getRequest(s Store) ([]byte, error) {
	ctx := context.Background()
	e, st, err := s.Pop(ctx, 0)
	if err != nil || st != Popped {
		return nil, err
	}
	if err := s.Done(ctx, e, "", nil); err != nil {
		return nil, err
	}
	return encodeEntry(e), nil
}

func queueSize(s Store) (int, error) {
	q, _, err := s.Pending(context.Background())
	return q, err
}
