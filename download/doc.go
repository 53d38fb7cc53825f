// Package download is grab's concurrent downloader: it saves files from
// http and https URLs, several at once, resumes them after any
// interruption, and never leaves a wrong file under a final name.
//
//	res, err := new(download.Client).Do(ctx, download.Into("DOWNLOAD", urls...)...)
//	for _, r := range res {
//		fmt.Println(r.Outcome, r.Path, r.Size, r.SHA256, r.Err)
//	}
//
// or, for one file, download.Retrieve(ctx, url, "DOWNLOAD/x.png").
//
// # Files
//
// A file NAME is written as NAME.part in its directory, beside a small
// sidecar NAME.part.json holding what a resume needs: the server's ETag,
// Last-Modified, length and content coding, and a SHA-256 of the URL
// (never the URL's userinfo or query, which may hold secrets: HOSTILE.md
// L11). Only when the body is complete (its declared length, and the
// checksum when one is given) is NAME.part synced, given the server's
// Last-Modified as its modification time, and renamed to NAME in the same
// directory; the sidecar is removed after. So a final name holds a complete
// file or nothing, whatever kills the process (kill -9 included), and a
// partial file never lives without its sidecar. Everything goes through an
// os.Root of the directory: the part is created with O_EXCL (never through
// a planted link), an existing part must be a regular file, a link at the
// final name is replaced, not followed, and nothing is written outside the
// directory. A NAME.part that has no sidecar is not grab's and is left
// alone (ErrNotOurs); a stale pair (another URL, an unreadable sidecar) is
// grab's own and is removed. A transfer holds an exclusive flock(2) on the
// part it writes (where the system has flock, on a local file system:
// NFS clients may turn it into a per-process lock), from the moment it
// looks at or creates the part until the part is renamed or removed, so
// that another grab process, or another Do, downloading a file of the
// same name into the same directory neither removes nor takes it over:
// that file fails with ErrInUse. The part is made before its sidecar, so
// a sidecar without a part is stale. Within one Do, directories are told apart by their absolute
// paths ("out" and "./out" are one). A URL whose name is "x.part" fails
// (ErrNotOurs) while "x.part.json" is beside it: that is x's partial
// file, not a copy of the URL's.
//
// A small file (a declared length of at most 64 KiB) whose name is free
// skips the part and its sidecar on Linux: it is written to an anonymous
// file (O_TMPFILE, in the directory the os.Root holds), synced, and linked
// under its name once complete (linkat, which neither replaces nor
// follows what may be there; a name taken meanwhile restarts the transfer
// through NAME.part). A kill leaves nothing, and a cut transfer starts
// again: resuming 64 KiB would save less than the request costs. This
// halves the system calls of a small file (14 instead of 28).
//
// Do lists each directory once, when it opens it (at most 256 names and
// 16 a request, 65,536 in all; a directory with a name not in ASCII is not
// listed, as a file system may fold such a name onto another). A name the
// listing does not show, in any case, nor with .part, .part.json or
// .part.json.new, is not looked up on its first attempt when its file goes
// to an anonymous file: no final file, part or sidecar to stat, four
// failed Lstats a small file saved. A file another process made under the
// name after the listing then takes the name first: the link never
// replaces it, and the transfer starts again looking everything up, so
// IfExists decides. A file that goes to NAME.part is looked up before the
// part is written, and again from the start if anything is there.
//
// Files are synced (fsync) before they get their final name, so that a
// power loss cannot leave a final name on missing bytes; curl and wget do
// not sync. On tmpfs a sync costs nothing; on a disk it waits for the
// file's bytes to be written, and NoSync (grab download --no-sync) skips
// it as curl and wget do.
//
// # Resume
//
// A partial file is resumed with "Range: bytes=N-1-" and If-Range (the
// strong ETag, else the Last-Modified date): the byte before the cut is
// fetched again and compared with the one on disk. The transfer restarts
// from the first byte, never appending, when the server answers 200 (it
// ignored the range, or the file changed), 416, a Content-Range that does
// not start at N-1 or run to the recorded length, a multipart answer,
// another content coding, an ETag or Last-Modified other than the ones
// recorded (a server that ignores If-Range sends a range of the version it
// has now), or a different overlap byte (HOSTILE.md L7). A part with
// neither validator nor recorded length is restarted. A 206 to a request
// without Range is taken as a 200 when its one range is the whole file
// ("bytes 0-N-1/N", as some caches answer), and fails otherwise. NoResume
// restarts too, removing grab's own part only: a NAME.part without its
// sidecar is still left alone (ErrNotOurs). The part's prefix is read back for the
// file's SHA-256 before the request is sent, so that time counts neither
// as the server's silence nor as a pause in reading its answer. Requests
// send "Accept-Encoding: identity", so files are stored as served and
// ranges refer to the stored bytes (F6).
//
// # Existing files
//
// Client.IfExists chooses: Update (the default) sends If-Modified-Since
// the file's modification time, as curl -z and wget -N do, and keeps the
// file on 304; a file whose checksum is given is kept without a request
// when it matches, and replaced whatever its date when it does not. On
// Linux each file saved records the URL it is from (the hex SHA-256 of
// the URL in the user.grab.url_sha256 extended attribute, where the file
// system keeps them), and Update downloads again, and replaces, a file
// recorded as the file of another URL of the same Do: two URLs of one
// name numbered in another order than the last run would otherwise each
// keep the other's file. A file of a URL not in the Do (a changed port, a
// signed URL's new token), one without the record, and any file
// elsewhere than Linux go by the name alone, as in curl -z and wget -N.
// Skip
// keeps it without a request, Overwrite replaces it, Number saves
// "name (1).ext". With Names set to FromHeader the final name is known
// only from the answer, so the policy applies once the answer's head is
// in, before the body is saved: Skip keeps the file (a request, but no
// download), and Update keeps it when the answer's Last-Modified is not
// newer than the file's date (what the server would answer to
// If-Modified-Since; without a Last-Modified the file is replaced). Within
// one Do, requests that map to one name get "name (1).ext", "name
// (2).ext" in request order (compared without case, so case-insensitive
// file systems agree), and so does a name that is another's part or
// sidecar ("a.part" beside "a" becomes "a (1).part"), so that no file is
// ever renamed onto another's part.
//
// # Names
//
// Without Request.Name, a file is named after the last segment of the URL
// given (not a redirect's), percent-decoded; with Names set to FromHeader,
// after the Content-Disposition file name when there is a usable one
// (filename* in UTF-8 or ISO-8859-1 preferred; an unquoted filename runs
// to the next ';', spaces included, as browsers and curl -J read it; a
// header that gives filename or filename* twice is ignored). SafeName documents the mapping: a single path
// element, no directories, no "..", no control, bidi or zero-width
// characters, no leading dot or dash, NFC, at most MaxNameBytes; Windows
// rules (reserved device names, <>:"|?*) with Portable or on Windows. A URL
// without a usable name gives DefaultName, "index.html", as wget does.
//
// # Failures
//
// Transient failures are retried (Retries, default 5) with exponential
// backoff and jitter from RetryWait, or after the server's Retry-After
// (seconds or a date); a Retry-After longer than MaxRetryWait (2 minutes)
// gives up at once rather than wait days (HOSTILE.md G7). Transient means:
// a connection error, a cut body (fetch's TruncatedError), a stall (no byte
// of the body for Stall, 30s by default, or no whole response head within
// Stall of the request; detected by a watchdog of the attempt), a
// body slower than MinSpeed over MinSpeedTime (when set: a slow but steady
// body otherwise completes, HOSTILE.md G5), a timeout, or status 408, 425, 429, 500, 502, 503 or 504. Other statuses,
// a proxy refusing the credentials (proxy.ErrProxyAuth) or a CONNECT with
// another status (403), TLS certificate errors and alerts, unknown hosts,
// refused redirects, local file
// errors (a full disk, a read-only directory), a checksum mismatch
// (ErrChecksum: the part is removed, HOSTILE.md L8) and a cancelled context
// are final. A directory that cannot be written (a read-only file system,
// no permission: HOSTILE.md L9) fails its files before any request is
// sent. One file failing never stops the others; Do returns a Result for
// each and joins the failures into its error.
//
// A body whose end is the connection's close (HTTP/1 without a length)
// cannot be told from a cut one (HOSTILE.md E2): the file is kept and
// Result.LengthUnknown set, unless a checksum verified it; RequireLength
// makes it a failure instead.
//
// # Concurrency and limits
//
// Do runs at most Concurrency transfers (8 by default), on as many
// workers, and PerHost for one host, each reading through one 256 KiB
// buffer (taken from the Do's free list when a body is read rather than
// spliced), so memory does not grow with file sizes (HOSTILE.md L10); a
// spliced 2 GiB file allocates nothing while it moves. RateLimit caps the bytes a second of all
// transfers of a Do together (golang.org/x/time/rate). Cancelling the
// context stops every transfer at once and leaves only partial files.
// Client.Progress receives Events (queued, started, bytes, retrying, done,
// failed) from Do and its workers, for progress bars. The workers start at once:
// the first transfers run while Do still names the later requests (a
// request's Queued event comes before its own Started, not before every
// other's), and a name from Content-Disposition is claimed only after
// every request's name from its URL, so the names a Do chooses do not
// depend on timing.
//
// Each file's SHA-256 is computed as it is written, on the transfer's
// goroutine (the prefix of a resumed file is read back first), and Dedup
// removes a file whose content was already saved by the same Do (a file is
// counted as saved once it has its name). With SHA-NI it
// is about a third of the CPU of a loopback transfer; hashing on a
// goroutine of its own was measured slower on two busy cores (scheduler
// wake-ups, and no idle core to hide it on). Client.NoHash skips the hash
// of a file nothing needs it for (no checksum, no Dedup), as curl and
// wget never hash; grab download sets it unless --json shows the hash.
// A file that is not hashed, nor rate limited nor under MinSpeed, is
// moved from the socket to the file by fetch.Response.ReadFile: splice(2)
// on Linux for plain HTTP with a declared length, one kernel copy where
// read and write make two; the stall watchdog and the progress events
// run between its calls as between reads.
//
// Two processes downloading the same file into one directory at once are
// not coordinated.
package download
