// Package testserver is grab's test server: the server side of the
// textbook (Python's http.server, SimpleHTTPRequestHandler,
// CGIHTTPRequestHandler and wsgiref) and the peer every client test talks
// to over loopback. Users test their own scrapers with it too.
//
//	srv := httptest.NewServer(testserver.New())
//	defer srv.Close()
//	resp, err := http.Get(srv.URL + "/hello") // "Hello World"
//
// or, outside tests, with TLS and a client that trusts it:
//
//	s := &testserver.Server{TLS: true}
//	if err := s.Start(); err != nil { ... }
//	defer s.Close()
//	resp, err := s.Client().Get(s.URL() + "/gallery/10.html")
//
// [New] returns an http.Handler. Without options it serves:
//
//   - /hello: "Hello World", as the textbook's myhttpserver.py;
//   - /wsgi/: [SampleApp], the textbook's WSGI application; [Mount] mounts
//     any http.Handler, Go's counterpart of a WSGI callable;
//   - /gallery/{n}.html and /img/...: image galleries in every form an
//     extractor must handle, with deterministic real PNG files;
//   - /site/{n}/page/{i}.html and /robots.txt: a linked site for crawlers;
//   - every other path: the httpbin endpoints of go-httpbin (/get, /post,
//     /anything, /status/{code}, /redirect/{n}, /redirect-to,
//     /basic-auth/{user}/{pass}, /digest-auth/..., /cookies, /delay/{s},
//     /drip, /gzip, /deflate, /bytes/{n}, /range/{n}, /response-headers,
//     /image/{kind}, ...), and an index of the routes at /.
//
// The options add a file root ([WithRoot], python -m http.server), CGI
// scripts ([WithCGIDir]), uploads by PUT and DELETE ([WithUploadDir]), the
// hostile /fault/ endpoints ([WithFaults]) and an access log in the common
// log format ([WithAccessLog]). [StartProxy] runs a forward proxy that
// records what passes through it.
//
// # Safety
//
// The server is meant to face hostile clients as well as to be one:
//
//   - files and uploads go through os.Root, so "..", encoded dots,
//     absolute paths and symlinks out of the root never escape it; hidden
//     names (".git", ".htpasswd") and special files are not served; paths
//     with dot segments, NUL bytes or a leading "//" are refused with 400;
//   - a PUT writes a temporary file and renames it only when the whole
//     body has arrived, and answers 413 before reading a body declared
//     over the cap;
//   - CGI scripts run with an allowlisted environment (RFC 3875 variables
//     and a fixed PATH; no HTTP_PROXY; headers with "_" dropped) in their
//     own process group, killed when the client goes away or the timeout
//     passes. net/http/cgi cannot bound a script's run or kill its process
//     group, so the runner is the package's own;
//   - every delay is capped ([DefaultMaxDelay]) and honours the request's
//     context; httpbin's /redirect-to sends clients to loopback hosts only
//     unless [WithRedirectHosts] allows more; echo endpoints cannot answer
//     with an active content type;
//   - [Server] binds loopback addresses unless AllowPublic is set, caps
//     connections and header size, and times out slow clients;
//   - the hostile endpoints exist only with [WithFaults].
//
// The package imports no grab client package: it is an independent peer.
package testserver
