package jobs

import (
	"fmt"
	"net/url"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/go-co-op/gocron/v2"
	"golang.org/x/net/http/httpguts"

	"github.com/grabhq/grab/internal/redact"
	"github.com/grabhq/grab/parse"
	"github.com/grabhq/grab/proxy"
)

// check adds the problems of the decoded job to v.
func (j *Job) check(v *validator) {
	switch {
	case v.touched("name"):
	case j.Name == "":
		v.at("name", "required: a name for reports, logs and file names")
	case !validName(j.Name):
		v.at("name", "%q: use 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit", j.Name)
	}
	loc := time.Local
	if j.Timezone != "" {
		l, err := time.LoadLocation(j.Timezone)
		if err != nil || j.Timezone == "Local" {
			v.at("timezone", "%q is not an IANA time zone (UTC, Europe/Paris, America/New_York)", j.Timezone)
		} else {
			loc = l
		}
	}
	if j.Schedule != "" {
		if _, err := parseSchedule(j.Schedule, loc); err != nil {
			v.at("schedule", "%v", err)
		}
	}
	if len(j.Targets.URLs) == 0 && j.Targets.Crawl == nil && !v.touched("targets") {
		v.at("targets", "required: urls, or a crawl with seeds")
	}
	seen := map[string]int{}
	for i, u := range j.Targets.URLs {
		p := fmt.Sprintf("targets.urls[%d]", i)
		if err := checkURL(u); err != nil {
			v.at(p, "%v", err)
		} else if first, dup := seen[u]; dup {
			v.at(p, "%q is also targets.urls[%d]", redact.String(u), first)
		} else {
			seen[u] = i
		}
	}
	if c := j.Targets.Crawl; c != nil {
		if len(c.Seeds) == 0 && !v.touched("targets.crawl.seeds") {
			v.at("targets.crawl.seeds", "required: the URLs a crawl starts from")
		}
		for i, u := range c.Seeds {
			if err := checkURL(u); err != nil {
				v.at(fmt.Sprintf("targets.crawl.seeds[%d]", i), "%v", err)
			}
		}
		if c.Depth < 0 {
			v.at("targets.crawl.depth", "%d: want 0 or more", c.Depth)
		}
		if c.MaxPages < 0 {
			v.at("targets.crawl.max_pages", "%d: want 0 or more", c.MaxPages)
		}
		switch c.Scope {
		case "", "host", "domain", "prefix", "any":
		default:
			v.at("targets.crawl.scope", "%q: want host, domain, prefix or any", c.Scope)
		}
		for name, list := range map[string][]string{"allow": c.Allow, "deny": c.Deny} {
			for i, re := range list {
				if _, err := regexp.Compile(re); err != nil {
					v.at(fmt.Sprintf("targets.crawl.%s[%d]", name, i), "not a regular expression: %v", err)
				}
			}
		}
	}
	for name, f := range j.Extract.Fields {
		p := "extract.fields." + name
		if !validName(name) {
			v.at(p, "field name %q: use letters, digits, '.', '_' or '-'", name)
		}
		if strings.TrimSpace(f.Selector) == "" {
			v.at(p, "required: a CSS selector")
		} else if _, err := parse.Compile(f.Selector); err != nil {
			v.at(p+".selector", "%v", err)
		}
	}
	if d := j.Download; d != nil {
		if !j.Extract.Images && !j.Extract.Links {
			v.at("download", "nothing to download: set extract.images or extract.links")
		}
		if d.Concurrency < 0 {
			v.at("download.concurrency", "%d: want 1 or more", d.Concurrency)
		}
		switch d.Naming {
		case "", "path", "basename", "hash":
		default:
			v.at("download.naming", "%q: want path, basename or hash", d.Naming)
		}
		for i, k := range d.Kinds {
			p := fmt.Sprintf("download.kinds[%d]", i)
			switch k {
			case "images":
				if !j.Extract.Images {
					v.at(p, "images are not extracted: set extract.images: true")
				}
			case "links":
				if !j.Extract.Links {
					v.at(p, "links are not extracted: set extract.links: true")
				}
			default:
				v.at(p, "%q: want images or links", k)
			}
		}
		if len(d.Kinds) == 0 && !j.Extract.Images && j.Extract.Links {
			v.at("download.kinds", "the default kind is images, which are not extracted: set kinds: [links] or extract.images")
		}
	}
	if j.Output.Keep < 0 {
		v.at("output.keep", "%d: want 1 or more", j.Output.Keep)
	}
	if j.Limits.MaxItems < 0 {
		v.at("limits.max_items", "%d: want 1 or more", j.Limits.MaxItems)
	}
	if j.Limits.Concurrency < 0 {
		v.at("limits.concurrency", "%d: want 1 or more", j.Limits.Concurrency)
	}
	if j.Retries != nil && (*j.Retries < 0 || *j.Retries > 10) {
		v.at("retries", "%d: want 0 to 10", *j.Retries)
	}
	if !httpguts.ValidHeaderFieldValue(j.UserAgent) {
		v.at("user_agent", "a header value may not hold control characters (CR, LF, NUL, ...)")
	}
	for k, val := range j.Headers {
		if !httpguts.ValidHeaderFieldName(k) {
			v.at("headers."+k, "not a valid header name")
		}
		if !httpguts.ValidHeaderFieldValue(val) {
			v.at("headers."+k, "a header value may not hold control characters (CR, LF, NUL, ...)")
		}
		switch strings.ToLower(k) {
		case "authorization", "cookie", "proxy-authorization":
			v.at("headers."+k, "secrets do not go in the job file: use auth, cookies.header or proxy.password")
		}
	}
	if a := j.Auth; a != nil {
		n := 0
		for _, set := range []bool{a.Basic != nil, a.Digest != nil, a.Bearer != nil, a.Netrc != ""} {
			if set {
				n++
			}
		}
		if n == 0 && !v.touched("auth") { // "bearer: ~" was said
			v.at("auth", "empty: give basic, digest, bearer or netrc")
		}
		if a.Basic != nil && a.Digest != nil {
			v.at("auth.digest", "give basic or digest, not both")
		}
		for name, c := range map[string]*Credentials{"basic": a.Basic, "digest": a.Digest} {
			if c == nil {
				continue
			}
			if c.User == "" {
				v.at("auth."+name+".user", "required")
			}
			checkSecret(v, "auth."+name+".password", &c.Password)
		}
		if a.Bearer != nil {
			checkSecret(v, "auth.bearer", a.Bearer)
		}
	}
	if c := j.Cookies; c != nil {
		if c.File == "" && c.Header == nil && !v.touched("cookies") {
			v.at("cookies", "empty: give file or header")
		}
		if c.Header != nil {
			checkSecret(v, "cookies.header", c.Header)
		}
	}
	if p := j.Proxy; p != nil {
		// The rules a run applies (proxy.New's), said by validate too.
		raw := strings.TrimSpace(p.URL)
		u, err := proxy.ParseURL(raw)
		switch {
		case raw == "":
			v.at("proxy.url", "required")
		case err != nil:
			v.at("proxy.url", "%v", err)
		case u.User != nil:
			v.at("proxy.url", "credentials do not go in the job file: use proxy.user and proxy.password")
		}
		if p.Password != nil {
			checkSecret(v, "proxy.password", p.Password)
			if p.User == "" {
				v.at("proxy.user", "required with proxy.password")
			}
		}
	}
}

func checkSecret(v *validator, path string, s *Secret) {
	switch {
	case v.reported[path]:
	case s.Env == "" && s.File == "":
		v.at(path, "required: {env: NAME} or {file: PATH}")
	case s.Env != "" && s.File != "":
		v.at(path, "give env or file, not both")
	}
}

// checkURL accepts absolute http and https URLs without credentials, of
// a port a request can use. What it shows of a URL is masked
// (redact.String).
func checkURL(s string) error {
	if strings.ContainsFunc(s, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		return fmt.Errorf("%q: a URL may not hold spaces or control characters", redact.String(s))
	}
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return fmt.Errorf("%q is not a URL: %s", redact.String(s), redact.ParseError(err))
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Errorf("%q: want an http or https URL", redact.URL(u))
	case u.Host == "":
		return fmt.Errorf("%q: no host", redact.URL(u))
	case u.User != nil:
		return fmt.Errorf("%q: credentials do not go in the job file: use auth", redact.URL(u))
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.ParseUint(p, 10, 16); err != nil || n == 0 {
			return fmt.Errorf("%q: invalid port %q (want 1-65535)", redact.URL(u), p)
		}
	}
	return nil
}

// schedule is a parsed Schedule: next returns the first slot after t.
type schedule struct {
	every time.Duration // "@every"
	utc   gocron.Cron   // the expression in UTC: the wall times it names
	spec  string
	loc   *time.Location // the time zone it was read in
	zone  *time.Location // the slots' zone: a TZ= prefix's, else loc
}

// durationSyntax reports whether s is written as time.ParseDuration reads
// a positive duration ("1h30m", "2.5s"), whatever its size: when
// ParseDuration refuses such an s, the duration is too long for it.
func durationSyntax(s string) bool {
	if s == "" {
		return false
	}
	for s != "" {
		i := 0
		for i < len(s) && ('0' <= s[i] && s[i] <= '9' || s[i] == '.') {
			i++
		}
		if i == 0 || strings.Count(s[:i], ".") > 1 || s[:i] == "." {
			return false
		}
		s = s[i:]
		j := 0
		for j < len(s) && !('0' <= s[j] && s[j] <= '9' || s[j] == '.') {
			j++
		}
		switch s[:j] {
		case "ns", "us", "µs", "μs", "ms", "s", "m", "h":
		default:
			return false
		}
		s = s[j:]
	}
	return true
}

// parseSchedule reads a Schedule in loc.
func parseSchedule(s string, loc *time.Location) (*schedule, error) {
	s = strings.TrimSpace(s)
	if rest, ok := strings.CutPrefix(s, "@every"); ok {
		rest = strings.TrimSpace(rest)
		d, err := time.ParseDuration(rest)
		switch {
		case err != nil && durationSyntax(rest):
			return nil, fmt.Errorf("%q: the interval is too long: a duration holds at most about 292 years (2562047h)", s)
		case err != nil || d < time.Second:
			return nil, fmt.Errorf("%q: want @every DURATION of 1s or more (@every 30m, @every 1h)", s)
		}
		return &schedule{every: d, spec: s, loc: loc}, nil
	}
	if n := len(strings.Fields(s)); !strings.HasPrefix(s, "@") && !strings.Contains(s, "TZ=") && n != 5 && n != 6 {
		return nil, fmt.Errorf("%q: a cron expression has 5 fields (minute hour day month weekday), or 6 with seconds first; or use @every DURATION", s)
	}
	given := s
	// A TZ= or CRON_TZ= prefix is cut off once: the fields are read (and
	// 7 made 0) without it, and the expression is checked in UTC too.
	tz, expr, zoneName := "", s, ""
	if strings.HasPrefix(s, "TZ=") || strings.HasPrefix(s, "CRON_TZ=") {
		tz, expr, _ = strings.Cut(s, " ")
		_, zoneName, _ = strings.Cut(tz, "=")
		tz, expr = tz+" ", strings.TrimSpace(expr)
	}
	expr = sundaySeven(expr)
	s = tz + expr
	c := gocron.NewDefaultCron(true)
	if err := c.IsValid(s, loc, time.Now()); err != nil {
		msg := err.Error()
		if i := strings.LastIndex(msg, "\n"); i >= 0 {
			msg = msg[i+1:]
		}
		return nil, fmt.Errorf("%q is not a valid cron expression: %s", given, msg)
	}
	// The same expression in UTC, which has no gaps, tells which days it
	// names.
	u := gocron.NewDefaultCron(true)
	if err := u.IsValid("CRON_TZ=UTC "+expr, time.UTC, time.Now()); err != nil {
		return nil, fmt.Errorf("%q is not a valid cron expression: %w", given, err)
	}
	zone := loc
	if zoneName != "" { // the parser took it: a valid zone
		if l, err := time.LoadLocation(zoneName); err == nil {
			zone = l
		}
	}
	return &schedule{utc: u, spec: s, loc: loc, zone: zone}, nil
}

// sundaySeven rewrites a 7 in the weekday field of the cron expression
// s (without a TZ= prefix) as 0: cron(8) and Vixie cron take both 0 and 7
// for Sunday, gocron's parser 0 only. "5-7" becomes "5-6,0", "1-7/3"
// "1-6/3,0"; names, "*" and steps of "*" are left as they are, and so is
// an expression not of 5 or 6 fields (a descriptor such as @daily).
func sundaySeven(s string) string {
	fields := strings.Fields(s)
	if len(fields) != 5 && len(fields) != 6 {
		return s
	}
	last := len(fields) - 1
	var items []string
	changed := false
	for item := range strings.SplitSeq(fields[last], ",") {
		span, step, stepped := strings.Cut(item, "/")
		lo, hi, ranged := strings.Cut(span, "-")
		if !ranged {
			hi = lo
		}
		a, aerr := strconv.Atoi(lo)
		z, zerr := strconv.Atoi(hi)
		n := 1
		if stepped {
			var err error
			if n, err = strconv.Atoi(step); err != nil || n < 1 {
				n = 0
			}
		}
		if aerr != nil || zerr != nil || z != 7 || a < 0 || a > 7 || n == 0 || stepped && !ranged {
			items = append(items, item) // the parser judges it
			continue
		}
		changed = true
		if a <= 6 {
			rest := fmt.Sprintf("%d-6", a)
			if stepped {
				rest += "/" + step
			}
			items = append(items, rest)
		}
		if (7-a)%n == 0 {
			items = append(items, "0")
		}
	}
	if !changed {
		return s
	}
	fields[last] = strings.Join(items, ",")
	return strings.Join(fields, " ")
}

// next returns the first slot strictly after t, by the wall clock of the
// schedule's time zone, with the rules of gocron's
// DaylightSavingsTimeRunAfterTransition on the days of a DST change: a
// wall time that happens twice (the fall-back hour) is a slot the first
// time only, and a wall time that does not exist (the spring-forward gap)
// is a slot at the instant it would have been (02:30 EST, which is 03:30
// EDT), on the days the expression names.
//
// The wall times the expression names come from it read in UTC, which
// has no gaps or repeats; each is then placed in the zone. The parser's
// own Next, in the zone, gets shifts other than an hour wrong: across
// Lord Howe's 30-minute one, a daily 01:30 came again at 02:30.
func (s *schedule) next(t time.Time) time.Time {
	if s.every > 0 {
		return t.Add(s.every)
	}
	t = t.In(s.zone)
	w := wallUTC(t)
	// Only wall times whose first instant t has passed are skipped: the
	// rest of a repeated hour, at most an hour of slots.
	for range maxSkipped {
		if w = s.utc.Next(w); w.IsZero() {
			return w
		}
		if c := onWallClock(w, s.zone); c.After(t) {
			return c
		}
	}
	return time.Time{}
}

// maxSkipped bounds next's loop: the slots of a repeated hour, one a
// second, with room.
const maxSkipped = 3 * 3600

// wallUTC returns t's wall clock, to the second, read as UTC.
func wallUTC(t time.Time) time.Time {
	y, mo, d := t.Date()
	h, m, sec := t.Clock()
	return time.Date(y, mo, d, h, m, sec, 0, time.UTC)
}

// onWallClock returns the instant loc's clocks show w (a wall time read
// as UTC): the first of two in a repeated hour, and in a gap the instant
// it would have been with the offset before the gap (which time.Date
// does not promise: it may put a midnight gap, as Havana's, on the day
// before).
func onWallClock(w time.Time, loc *time.Location) time.Time {
	_, before := w.Add(-24 * time.Hour).In(loc).Zone()
	_, after := w.Add(24 * time.Hour).In(loc).Zone()
	c1 := w.Add(-time.Duration(before) * time.Second).In(loc)
	c2 := w.Add(-time.Duration(after) * time.Second).In(loc)
	ok1, ok2 := wallUTC(c1).Equal(w), wallUTC(c2).Equal(w)
	if ok2 && (!ok1 || c2.Before(c1)) {
		return c2
	}
	return c1 // shown then, the first of two, or in a gap
}

// location returns the job's time zone.
func (j *Job) location() *time.Location {
	if j.Timezone == "" {
		return time.Local
	}
	if l, err := time.LoadLocation(j.Timezone); err == nil {
		return l
	}
	return time.UTC
}

// path resolves p against the job file's directory: Parse's, or that of
// Path for a Job built in Go.
func (j *Job) path(p string) string {
	dir := j.dir
	if dir == "" && j.Path != "" {
		dir = filepath.Dir(j.Path)
	}
	if p == "" || filepath.IsAbs(p) || dir == "" {
		return p
	}
	return filepath.Join(dir, p)
}

// OutputDir returns the directory the run reports go to.
func (j *Job) OutputDir() string {
	if j.Output.Dir != "" {
		return j.path(j.Output.Dir)
	}
	return j.path(j.Name + "-runs")
}

// StatePath returns the state file.
func (j *Job) StatePath() string {
	if j.State != "" {
		return j.path(j.State)
	}
	return filepath.Join(j.OutputDir(), j.Name+".state")
}

// DownloadDir returns the directory downloads go to, "" without Download.
func (j *Job) DownloadDir() string {
	switch {
	case j.Download == nil:
		return ""
	case j.Download.Dir != "":
		return j.path(j.Download.Dir)
	}
	return j.path(j.Name + "-files")
}

// Next returns the first scheduled time after t, or the zero time when
// the job has no valid Schedule.
func (j *Job) Next(t time.Time) time.Time {
	s, err := parseSchedule(j.Schedule, j.location())
	if err != nil || j.Schedule == "" {
		return time.Time{}
	}
	return s.next(t)
}

func orInt(v, def int) int {
	if v > 0 {
		return v
	}
	return def
}

func (j *Job) maxItems() int    { return orInt(j.Limits.MaxItems, DefaultMaxItems) }
func (j *Job) concurrency() int { return orInt(j.Limits.Concurrency, DefaultConcurrency) }
func (j *Job) keep() int        { return orInt(j.Output.Keep, DefaultKeepRuns) }
func (j *Job) downloads() int {
	if j.Download == nil {
		return 0
	}
	return orInt(j.Download.Concurrency, DefaultConcurrency)
}
func (j *Job) maxPageBytes() int64 {
	if j.Limits.MaxPageBytes > 0 {
		return int64(j.Limits.MaxPageBytes)
	}
	return DefaultMaxPageBytes
}
func (j *Job) maxFileBytes() int64 {
	if j.Limits.MaxFileBytes > 0 {
		return int64(j.Limits.MaxFileBytes)
	}
	return DefaultMaxFileBytes
}

// downloadsKind reports whether items of kind are downloaded.
func (j *Job) downloadsKind(kind string) bool {
	if j.Download == nil {
		return false
	}
	if len(j.Download.Kinds) == 0 {
		return kind == KindImage
	}
	for _, k := range j.Download.Kinds {
		if k+"" == kind+"s" {
			return true
		}
	}
	return false
}

// validName reports whether s is 1 to 64 ASCII letters, digits, '.', '_'
// or '-', starting with a letter or digit: a job or field name.
func validName(s string) bool {
	if s == "" || len(s) > 64 || !alnum(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; !alnum(c) && c != '.' && c != '_' && c != '-' {
			return false
		}
	}
	return true
}

func alnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}
