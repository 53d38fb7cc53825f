package crawl

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/gocolly/colly/v2/queue"
	"github.com/gocolly/colly/v2/storage"
	"github.com/redis/go-redis/v9"

	"github.com/grabhq/grab/internal/redact"
)

// DefaultLease is how long a page popped from a Redis store stays leased
// to the process that took it without renewal: a lease its process has
// not renewed for that long (it died, or lost the server) goes to the next
// Pop of any process, before the queue.
const DefaultLease = 5 * time.Minute

// minLease is the shortest Lease a Redis store uses.
const minLease = 100 * time.Millisecond

// DefaultRedisPrefix starts the names of a Redis store's keys.
const DefaultRedisPrefix = "grab:crawl:"

// Redis is a Store in a Redis server, shared by every process that opens
// it with the same key prefix, on one machine or many: one frontier, one
// seen set, one page budget and one cookie jar (a jar per site).
// Each URL is queued once (SADD decides) and popped by one process, so it
// is fetched once across all of them. Every step is one Lua script, so
// processes never see half of another's step.
//
// A popped page is leased for Lease to the Redis value that popped it
// (each has its own owner token), which renews its leases every third of
// Lease until it finishes or releases them, or is closed. A process that
// dies, or cannot reach the server for Lease, leaves its leases to expire,
// and the next Pop anywhere takes an expired page over before the queue.
// A page taken over is the new owner's: the old owner's Release no longer
// queues it again, and its Done queues the page's links but leaves the
// page itself to the new owner to finish. Processes sharing a store must
// all run a grab with owners (this one or later): an older one's Done or
// Release ignores them.
//
// Keys: PREFIX seen (set), queue (list), entries (hash), leases (sorted
// set of deadlines), owners (hash: URL to owner token), started (counter),
// visited (colly's ids), jars (hash: site to the crawl's cookies, JSON),
// cookies (hash by host, for colly's storage.Storage).
type Redis struct {
	client redis.UniversalClient
	prefix string
	owned  bool
	token  string // owner of the leases this value takes
	// Lease is how long a popped page stays leased without renewal; 0
	// means DefaultLease, and less than 100 ms means 100 ms. Set it
	// before the first Pop.
	Lease time.Duration

	mu      sync.Mutex
	held    map[string]struct{} // URLs leased here, renewed by renewLoop
	stop    context.CancelFunc  // ends renewLoop; nil until it starts
	stopped chan struct{}       // closed when renewLoop returns
	closed  bool
}

var (
	_ Store           = (*Redis)(nil)
	_ storage.Storage = (*Redis)(nil)
	_ queue.Storage   = (*Redis)(nil)
)

// NewRedis returns a store on client with keys starting with prefix (""
// means DefaultRedisPrefix). Close does not close client.
func NewRedis(client redis.UniversalClient, prefix string) *Redis {
	if prefix == "" {
		prefix = DefaultRedisPrefix
	}
	return &Redis{client: client, prefix: prefix, token: rand.Text()}
}

// ErrBadRedisURL reports a URL OpenRedis cannot read; the error names it
// with its password masked.
var ErrBadRedisURL = errors.New("crawl: bad Redis URL")

// OpenRedis connects to the server at rawURL (redis://[user:password@]host:port/db,
// or rediss:// for TLS) and checks that it answers. Close closes the
// connection.
func OpenRedis(ctx context.Context, rawURL, prefix string) (*Redis, error) {
	opt, err := redis.ParseURL(rawURL)
	if err != nil {
		// Shown as text, as a proxy URL is: "redis://u:1234/S3cr@h" parses
		// with the host "u:1234" and the password in the path, which
		// go-redis quotes as the database; its reasons are not passed on.
		reason := "want redis://[user:password@]host:port/db or rediss://..."
		var ue *url.Error
		if errors.As(err, &ue) {
			reason = redact.ParseError(err)
		}
		return nil, fmt.Errorf("%w %q: %s", ErrBadRedisURL, redact.Parsed(rawURL, nil), reason)
	}
	if opt.Network != "unix" {
		// go-redis takes any number as the port; the dial refused it late,
		// as "address 99999: invalid port".
		_, port, _ := net.SplitHostPort(opt.Addr)
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("%w %q: invalid port %q: want 1-65535", ErrBadRedisURL, redact.Parsed(rawURL, nil), port)
		}
	}
	c := redis.NewClient(opt)
	if err := c.Ping(ctx).Err(); err != nil {
		c.Close()
		return nil, fmt.Errorf("crawl: redis %s: %w", opt.Addr, err)
	}
	r := NewRedis(c, prefix)
	r.owned = true
	return r, nil
}

func (r *Redis) key(name string) string { return r.prefix + name }

func (r *Redis) lease() time.Duration {
	if r.Lease > 0 {
		return max(r.Lease, minLease)
	}
	return DefaultLease
}

var pushScript = redis.NewScript(`
local n = 0
for i = 1, #ARGV, 2 do
  if redis.call('SADD', KEYS[1], ARGV[i]) == 1 then
    redis.call('HSET', KEYS[3], ARGV[i], ARGV[i+1])
    redis.call('RPUSH', KEYS[2], ARGV[i])
    n = n + 1
  end
end
return n
`)

// KEYS: queue, entries, leases, started, owners. ARGV: limit, lease ms,
// owner token. Returns {0, entry}, {1} empty, {2} limit.
var popScript = redis.NewScript(`
local limit = tonumber(ARGV[1])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local deadline = now + tonumber(ARGV[2])
-- an expired lease (its owner died or stopped renewing) is taken over first
local ex = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', now, 'LIMIT', 0, 1)
if #ex > 0 then
  local e = redis.call('HGET', KEYS[2], ex[1])
  if e then
    redis.call('ZADD', KEYS[3], deadline, ex[1])
    redis.call('HSET', KEYS[5], ex[1], ARGV[3])
    return {0, e}
  end
  redis.call('ZREM', KEYS[3], ex[1])
  redis.call('HDEL', KEYS[5], ex[1])
end
if limit > 0 and tonumber(redis.call('GET', KEYS[4]) or '0') >= limit then return {2} end
while true do
  local u = redis.call('LPOP', KEYS[1])
  if not u then return {1} end
  local e = redis.call('HGET', KEYS[2], u)
  if e then
    redis.call('ZADD', KEYS[3], deadline, u)
    redis.call('HSET', KEYS[5], u, ARGV[3])
    redis.call('INCR', KEYS[4])
    return {0, e}
  end
end
`)

// KEYS: leases, owners. ARGV: lease ms, owner token, then URLs. Extends
// the leases of the URLs the token still owns.
var renewScript = redis.NewScript(`
local t = redis.call('TIME')
local deadline = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + tonumber(ARGV[1])
local n = 0
for i = 3, #ARGV do
  if redis.call('HGET', KEYS[2], ARGV[i]) == ARGV[2] then
    redis.call('ZADD', KEYS[1], 'XX', deadline, ARGV[i])
    n = n + 1
  end
end
return n
`)

// KEYS: leases, entries, seen, queue, owners, started. ARGV: url, final,
// owner token, then url, entry pairs. A page another owner took over is
// left to it; its links are queued all the same.
var doneScript = redis.NewScript(`
local owner = redis.call('HGET', KEYS[5], ARGV[1])
if not owner or owner == ARGV[3] then
  if redis.call('ZREM', KEYS[1], ARGV[1]) == 0 then
    -- queued again by the Release of an owner that took it over, which
    -- uncounted it: finished now, so counted again
    if redis.call('LREM', KEYS[4], 0, ARGV[1]) > 0 then redis.call('INCR', KEYS[6]) end
  end
  redis.call('HDEL', KEYS[2], ARGV[1])
  redis.call('HDEL', KEYS[5], ARGV[1])
end
if ARGV[2] ~= '' then redis.call('SADD', KEYS[3], ARGV[2]) end
for i = 4, #ARGV, 2 do
  if redis.call('SADD', KEYS[3], ARGV[i]) == 1 then
    redis.call('HSET', KEYS[2], ARGV[i], ARGV[i+1])
    redis.call('RPUSH', KEYS[4], ARGV[i])
  end
end
return 0
`)

// KEYS: leases, queue, started, owners. ARGV: url, owner token. A page
// another owner took over stays its.
var releaseScript = redis.NewScript(`
if redis.call('HGET', KEYS[4], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('HDEL', KEYS[4], ARGV[1])
if redis.call('ZREM', KEYS[1], ARGV[1]) == 1 then
  redis.call('LPUSH', KEYS[2], ARGV[1])
  redis.call('DECR', KEYS[3])
end
return 0
`)

func pairs(entries []Entry, args []any) []any {
	for _, e := range entries {
		args = append(args, e.URL, encodeEntry(e))
	}
	return args
}

// Push implements [Store].
func (r *Redis) Push(ctx context.Context, entries ...Entry) (int, error) {
	if len(entries) == 0 {
		return 0, nil
	}
	n, err := pushScript.Run(ctx, r.client, []string{r.key("seen"), r.key("queue"), r.key("entries")}, pairs(entries, nil)...).Int()
	return n, wrapRedis(err)
}

// Pop implements [Store]. After Close it fails with ErrStoreClosed: a
// page popped then would not be renewed.
func (r *Redis) Pop(ctx context.Context, limit int) (Entry, PopState, error) {
	r.mu.Lock()
	closed := r.closed
	r.mu.Unlock()
	if closed {
		return Entry{}, Empty, ErrStoreClosed
	}
	v, err := popScript.Run(ctx, r.client, []string{r.key("queue"), r.key("entries"), r.key("leases"), r.key("started"), r.key("owners")},
		limit, r.lease().Milliseconds(), r.token).Slice()
	if err != nil {
		return Entry{}, Empty, wrapRedis(err)
	}
	code, _ := v[0].(int64)
	switch code {
	case 1:
		return Entry{}, Empty, nil
	case 2:
		return Entry{}, Limit, nil
	}
	s, _ := v[1].(string)
	e, err := decodeEntry([]byte(s))
	if err != nil {
		return Entry{}, Empty, err
	}
	r.hold(e.URL)
	return e, Popped, nil
}

// Done implements [Store].
func (r *Redis) Done(ctx context.Context, e Entry, final string, children []Entry) error {
	args := pairs(children, []any{e.URL, final, r.token})
	err := doneScript.Run(ctx, r.client, []string{r.key("leases"), r.key("entries"), r.key("seen"), r.key("queue"), r.key("owners"), r.key("started")}, args...).Err()
	r.unhold(e.URL) // done or not, no longer renewed: a lease not finished expires
	return wrapRedis(err)
}

// Release implements [Store].
func (r *Redis) Release(ctx context.Context, e Entry) error {
	err := releaseScript.Run(ctx, r.client, []string{r.key("leases"), r.key("queue"), r.key("started"), r.key("owners")}, e.URL, r.token).Err()
	r.unhold(e.URL) // released or not, no longer renewed
	return wrapRedis(err)
}

// hold records a lease taken here, and starts renewing leases.
func (r *Redis) hold(u string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.held == nil {
		r.held = make(map[string]struct{})
	}
	r.held[u] = struct{}{}
	if r.stop == nil && !r.closed {
		var ctx context.Context
		ctx, r.stop = context.WithCancel(context.Background())
		r.stopped = make(chan struct{})
		go r.renewLoop(ctx, r.lease())
	}
}

func (r *Redis) unhold(u string) {
	r.mu.Lock()
	delete(r.held, u)
	r.mu.Unlock()
}

// renewLoop extends the leases held here every third of lease until
// Close. A failed renewal is tried again at the next tick; a lease that
// cannot be renewed for lease expires, as its process's would.
func (r *Redis) renewLoop(ctx context.Context, lease time.Duration) {
	defer close(r.stopped)
	tick := time.NewTicker(lease / 3)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		r.mu.Lock()
		args := make([]any, 0, 2+len(r.held))
		args = append(args, lease.Milliseconds(), r.token)
		for u := range r.held {
			args = append(args, u)
		}
		r.mu.Unlock()
		if len(args) > 2 {
			rctx, cancel := context.WithTimeout(ctx, lease/3)
			renewScript.Run(rctx, r.client, []string{r.key("leases"), r.key("owners")}, args...)
			cancel()
		}
	}
}

// Seen implements [Store].
func (r *Redis) Seen(ctx context.Context, u string) (bool, error) {
	ok, err := r.client.SIsMember(ctx, r.key("seen"), u).Result()
	return ok, wrapRedis(err)
}

// Pending implements [Store].
func (r *Redis) Pending(ctx context.Context) (queued, leased int, err error) {
	var q, l *redis.IntCmd
	_, err = r.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		q = p.LLen(ctx, r.key("queue"))
		l = p.ZCard(ctx, r.key("leases"))
		return nil
	})
	if err != nil {
		return 0, 0, wrapRedis(err)
	}
	return int(q.Val()), int(l.Val()), nil
}

// Started implements [Store].
func (r *Redis) Started(ctx context.Context) (int, error) {
	n, err := r.client.Get(ctx, r.key("started")).Int()
	if errors.Is(err, redis.Nil) {
		return 0, nil
	}
	return n, wrapRedis(err)
}

// Clear deletes the store's keys: a new crawl under the same prefix starts
// from nothing.
func (r *Redis) Clear(ctx context.Context) error {
	var keys []string
	for _, k := range []string{"seen", "queue", "entries", "leases", "owners", "started", "visited", "jars", "cookies"} {
		keys = append(keys, r.key(k))
	}
	return wrapRedis(r.client.Del(ctx, keys...).Err())
}

// Close implements [Store]: it stops renewing this value's leases (those
// not finished expire after Lease) and closes the connection OpenRedis
// made. A store from NewRedis must be closed too, to stop the renewal
// (even when colly's queue is its only user).
func (r *Redis) Close() error {
	r.mu.Lock()
	r.closed = true
	r.mu.Unlock()
	r.stopRenewal()
	if r.owned {
		return r.client.Close()
	}
	return nil
}

// stopRenewal ends renewLoop, if it runs, and waits for it.
func (r *Redis) stopRenewal() {
	r.mu.Lock()
	stop, stopped := r.stop, r.stopped // set together
	r.mu.Unlock()
	if stop != nil {
		stop()
		<-stopped
	}
}

func wrapRedis(err error) error {
	if errors.Is(err, redis.ErrClosed) {
		return ErrStoreClosed
	}
	if err != nil {
		return fmt.Errorf("redis: %w", err)
	}
	return nil
}

// Init implements colly's storage.Storage and queue.Storage.
func (r *Redis) Init() error { return nil }

// Visited implements colly's storage.Storage.
func (r *Redis) Visited(id uint64) error {
	return wrapRedis(r.client.SAdd(context.Background(), r.key("visited"), strconv.FormatUint(id, 10)).Err())
}

// IsVisited implements colly's storage.Storage.
func (r *Redis) IsVisited(id uint64) (bool, error) {
	ok, err := r.client.SIsMember(context.Background(), r.key("visited"), strconv.FormatUint(id, 10)).Result()
	return ok, wrapRedis(err)
}

// Cookies implements colly's storage.Storage.
func (r *Redis) Cookies(u *url.URL) string {
	s, _ := r.client.HGet(context.Background(), r.key("cookies"), u.Host).Result()
	return s
}

// SetCookies implements colly's storage.Storage.
func (r *Redis) SetCookies(u *url.URL, cookies string) {
	r.client.HSet(context.Background(), r.key("cookies"), u.Host, cookies)
}

func (r *Redis) jar(site string) ([]byte, error) {
	data, err := r.client.HGet(context.Background(), r.key("jars"), site).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	return data, wrapRedis(err)
}

func (r *Redis) setJar(site string, data []byte) error {
	return wrapRedis(r.client.HSet(context.Background(), r.key("jars"), site, data).Err())
}

// AddRequest implements colly's queue.Storage.
func (r *Redis) AddRequest(b []byte) error { return addRequest(r, b) }

// GetRequest implements colly's queue.Storage: the request leaves the
// queue for good.
func (r *Redis) GetRequest() ([]byte, error) { return getRequest(r) }

// QueueSize implements colly's queue.Storage.
func (r *Redis) QueueSize() (int, error) { return queueSize(r) }
