package cookies

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"
)

// jsonFormat and jsonVersion identify grab's JSON jar files.
const (
	jsonFormat  = "grab-cookies"
	jsonVersion = 1
)

type jsonFile struct {
	Format  string       `json:"format"`
	Version int          `json:"version"`
	Cookies []jsonCookie `json:"cookies"`
}

type jsonCookie struct {
	Name     string    `json:"name"`
	Value    string    `json:"value"`
	Quoted   bool      `json:"quoted,omitzero"`
	Domain   string    `json:"domain"`
	HostOnly bool      `json:"host_only"`
	Path     string    `json:"path"`
	Secure   bool      `json:"secure"`
	HttpOnly bool      `json:"http_only"`
	SameSite string    `json:"same_site,omitzero"`
	Expires  time.Time `json:"expires,omitzero"`
	Created  time.Time `json:"created,omitzero"`
}

func writeJSON(w io.Writer, cs []Cookie) error {
	f := jsonFile{Format: jsonFormat, Version: jsonVersion, Cookies: make([]jsonCookie, len(cs))}
	for i, c := range cs {
		f.Cookies[i] = jsonCookie{
			Name: c.Name, Value: c.Value, Quoted: c.Quoted,
			Domain: c.Domain, HostOnly: c.HostOnly, Path: c.Path,
			Secure: c.Secure, HttpOnly: c.HttpOnly, SameSite: sameSiteName(c.SameSite),
			Expires: c.Expires.UTC().Truncate(time.Second), Created: c.Creation.UTC(),
		}
		if c.Expires.IsZero() {
			f.Cookies[i].Expires = time.Time{}
		}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(f)
}

// readJSON reads a JSON jar file, handing each cookie to add and each
// cookie object that does not decode (a wrong type, a bad time, an
// unknown SameSite) to skip, in the file's order. A syntax error, or a
// file that is not a grab-cookies version 1 object, is an error for the
// whole file, found by a first pass that keeps nothing, before any
// cookie is handed on.
func readJSON(data []byte, add func(record), skip func(LineError)) error {
	if err := walkJSON(data, nil, nil); err != nil {
		return err
	}
	return walkJSON(data, add, skip)
}

// walkJSON is one pass of readJSON; nil add and skip only check the file.
func walkJSON(data []byte, add func(record), skip func(LineError)) error {
	var f struct {
		format  string
		version int
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	// lineAt counts lines from the last offset asked for: the cookies'
	// offsets only grow, so a pass counts each byte once (a syntax error's
	// offset may lie before the last: it counts from the start again).
	lastOff, lastLine := int64(0), 1
	lineAt := func(off int64) int {
		for off < int64(len(data)) && (data[off] == ' ' || data[off] == '\t' || data[off] == '\r' || data[off] == '\n' || data[off] == ',') {
			off++
		}
		if off < lastOff {
			lastOff, lastLine = 0, 1
		}
		lastLine += bytes.Count(data[lastOff:off], []byte("\n"))
		lastOff = off
		return lastLine
	}
	fatal := func(err error) error {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return fmt.Errorf("JSON syntax error on line %d: %v", lineAt(se.Offset), err)
		}
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return fmt.Errorf("JSON: %w", err)
	}
	if err := expectDelim(dec, '{'); err != nil {
		return fatal(err)
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return fatal(err)
		}
		key, _ := t.(string)
		switch key {
		case "format":
			err = dec.Decode(&f.format)
		case "version":
			err = dec.Decode(&f.version)
		case "cookies":
			if err := expectDelim(dec, '['); err != nil {
				return fatal(err)
			}
			for dec.More() {
				if add == nil {
					var raw json.RawMessage
					if err := dec.Decode(&raw); err != nil {
						return fatal(err)
					}
					continue
				}
				line := lineAt(dec.InputOffset())
				var jc jsonCookie
				if err := dec.Decode(&jc); err != nil {
					if isSyntax(err) {
						return fatal(err)
					}
					skip(LineError{line, fmt.Errorf("cookie object: %v", err)})
					continue
				}
				ss, ok := parseSameSite(jc.SameSite)
				if !ok {
					skip(LineError{line, fmt.Errorf("same_site %q is not Strict, Lax, None or empty", clip(jc.SameSite))})
					continue
				}
				add(record{Cookie{
					Name: jc.Name, Value: jc.Value, Quoted: jc.Quoted,
					Domain: jc.Domain, HostOnly: jc.HostOnly, Path: jc.Path,
					Secure: jc.Secure, HttpOnly: jc.HttpOnly, SameSite: ss,
					Expires: jc.Expires, Creation: jc.Created,
				}, line})
			}
			err = expectDelim(dec, ']')
		default:
			var raw json.RawMessage
			err = dec.Decode(&raw)
		}
		if err != nil {
			if isSyntax(err) {
				return fatal(err)
			}
			return fmt.Errorf("JSON: field %q: %v", key, err)
		}
	}
	if err := expectDelim(dec, '}'); err != nil {
		return fatal(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("JSON: data after the top-level object")
	}
	if f.format != jsonFormat || f.version != jsonVersion {
		return fmt.Errorf("JSON: not a %s version %d file (format %q, version %d)", jsonFormat, jsonVersion, clip(f.format), f.version)
	}
	return nil
}

func isSyntax(err error) bool {
	var se *json.SyntaxError
	return errors.As(err, &se) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}

func expectDelim(dec *json.Decoder, d json.Delim) error {
	t, err := dec.Token()
	if err != nil {
		return err
	}
	if t != d {
		return fmt.Errorf("found %v where %v was expected", t, d)
	}
	return nil
}
