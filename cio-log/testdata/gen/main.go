// Command gen prints the golden log URI cases of cio-log, as Go's own
// path/filepath and net/url produce them.
//
// Run it from the repository root (see ../README.md):
//
//	go run cio-log/testdata/gen/main.go > cio-log/testdata/log_uri.golden
//
// Each case is a record of lines, one keyword per line and every string
// quoted with strconv.Quote; records are separated by a blank line:
//
//	case   a name for the case (free text up to the end of the line)
//	scheme the scheme given
//	path   the path given
//	arg    a key and a value given (zero or more lines, sorted by key)
//	clean  filepath.Clean of the path
//	result one of:
//	       ok "URI"                the string a shim reads back unchanged
//	       unreadable "URI" "why"  Go makes it, but url.Parse of it does not
//	                               give back a log URI with that scheme, path
//	                               and arguments
//	       relative "message"      Go refuses the path as not absolute
package main

import (
	"fmt"
	"net/url"
	"path/filepath"
	"reflect"
	"runtime"
	"sort"
	"strconv"
	"strings"
)

// golden is one input of the generator.
type golden struct {
	name   string
	scheme string
	path   string
	args   map[string]string
}

// makeLogURI does what a containerd client does on Unix to turn a scheme,
// a path and arguments into a log URI. (On Windows containerd also turns
// `\` into `/` and puts a `/` before a drive letter; cio-log is Unix only.)
func makeLogURI(scheme, path string, args map[string]string) (*url.URL, error) {
	cleaned := filepath.Clean(path)
	if !filepath.IsAbs(cleaned) {
		return nil, fmt.Errorf("%q must be absolute", cleaned)
	}
	made := &url.URL{Scheme: scheme, Path: cleaned}
	if len(args) > 0 {
		query := url.Values{}
		for key, value := range args {
			query.Set(key, value)
		}
		made.RawQuery = query.Encode()
	}
	return made, nil
}

// readBack reports why a shim could not use s as the log URI it was made
// from, or "" when it can: url.Parse must give back the scheme (lowercase,
// as url.Parse gives it), no host, the cleaned path and every argument.
func readBack(s, scheme, cleaned string, args map[string]string) string {
	parsed, err := url.Parse(s)
	if err != nil {
		return err.Error()
	}
	if parsed.Scheme == "" {
		return "no scheme"
	}
	if parsed.Scheme != strings.ToLower(scheme) {
		return fmt.Sprintf("the scheme reads back as %q", parsed.Scheme)
	}
	if parsed.Opaque != "" || parsed.Host != "" || parsed.User != nil {
		return "the path reads back as opaque data or a host"
	}
	if parsed.Path != cleaned {
		return fmt.Sprintf("the path reads back as %q", parsed.Path)
	}
	query, err := url.ParseQuery(parsed.RawQuery)
	if err != nil {
		return err.Error()
	}
	want := url.Values{}
	for key, value := range args {
		want.Set(key, value)
	}
	if !reflect.DeepEqual(query, want) {
		return "the arguments read back differently"
	}
	return ""
}

func main() {
	if runtime.GOOS == "windows" {
		panic("the golden data describes Unix paths")
	}
	fmt.Printf("# Golden log URI cases for cio-log, printed by %s on %s/%s\n",
		runtime.Version(), runtime.GOOS, runtime.GOARCH)
	fmt.Println("# by testdata/gen/main.go. Do not edit; rerun the generator.")
	for _, c := range cases() {
		fmt.Println()
		fmt.Printf("case %s\n", c.name)
		fmt.Printf("scheme %s\n", strconv.Quote(c.scheme))
		fmt.Printf("path %s\n", strconv.Quote(c.path))
		keys := make([]string, 0, len(c.args))
		for key := range c.args {
			keys = append(keys, key)
		}
		sort.Strings(keys)
		for _, key := range keys {
			fmt.Printf("arg %s %s\n", strconv.Quote(key), strconv.Quote(c.args[key]))
		}
		cleaned := filepath.Clean(c.path)
		fmt.Printf("clean %s\n", strconv.Quote(cleaned))
		made, err := makeLogURI(c.scheme, c.path, c.args)
		if err != nil {
			fmt.Printf("result relative %s\n", strconv.Quote(err.Error()))
			continue
		}
		s := made.String()
		if why := readBack(s, c.scheme, cleaned, c.args); why != "" {
			fmt.Printf("result unreadable %s %s\n", strconv.Quote(s), strconv.Quote(why))
			continue
		}
		fmt.Printf("result ok %s\n", strconv.Quote(s))
	}
}

// one is a case with no arguments.
func one(name, scheme, path string) golden {
	return golden{name: name, scheme: scheme, path: path}
}

// kv is a case with one argument.
func kv(name, path, key, value string) golden {
	return golden{name: name, scheme: "binary", path: path, args: map[string]string{key: value}}
}

func cases() []golden {
	list := []golden{
		// The cases of containerd's own tests.
		{name: "binary with an id", scheme: "binary", path: "/file.bin",
			args: map[string]string{"id": "1"}},
		one("fifo scheme", "fifo", "/full/path/pipe.fifo"),
		{name: "file with a size limit", scheme: "file", path: "/full/path/file.txt",
			args: map[string]string{"maxSize": "100MB"}},
		{name: "binary with a test id", scheme: "binary", path: "/full/path/bin",
			args: map[string]string{"id": "testing"}},
		one("relative word", "unknown", "nowhere"),
		one("windows path with backslashes", "binary", `C:\path\to\binary`),
		one("windows path with slashes", "file", "C:/foo/bar.log"),
		one("dot relative file", "file", "./file.txt"),
		one("dot relative binary", "binary", "./bin"),
		one("empty path", "file", ""),
		one("dot", "file", "."),
		one("parent then name", "file", "../x"),
		one("relative that climbs", "file", "a/../../b"),

		// Cleaning.
		one("root", "file", "/"),
		one("double slash", "file", "//"),
		one("leading slashes", "file", "///x"),
		one("dot and dot-dot segments", "file", "/a/./b/../c"),
		one("dot-dot above root", "file", "/../.."),
		one("dot-dot above root then a name", "file", "/../x"),
		one("trailing slash", "file", "/a/b/"),
		one("inner double slash", "file", "/a//b"),
		one("root dot", "file", "/."),
		one("root dot-dot", "file", "/.."),
		one("hidden file", "file", "/.hidden"),
		one("three dots are a name", "file", "/a/.../b"),
		one("dot-dot prefix is a name", "file", "/a/..b/c.."),
		one("trailing dot-dot", "file", "/a/b/.."),

		// Characters in the path.
		one("space in path", "file", "/var/log/my app.log"),
		one("percent in path", "file", "/a%b"),
		one("percent that looks escaped", "file", "/a%41b"),
		one("escaped slash look-alike", "file", "/a%2Fb"),
		one("question mark in path", "file", "/what?.log"),
		one("hash in path", "file", "/a#frag"),
		one("plus in path", "file", "/a+b"),
		one("ampersand in path", "file", "/a&b"),
		one("equals in path", "file", "/a=b"),
		one("semicolon in path", "file", "/a;b"),
		one("colon in path", "file", "/a:b"),
		one("at sign in path", "file", "/a@b"),
		one("dollar in path", "file", "/a$b"),
		one("comma in path", "file", "/a,b"),
		one("bang in path", "file", "/a!b"),
		one("single quote in path", "file", "/a'b"),
		one("parentheses in path", "file", "/a(b)"),
		one("star in path", "file", "/a*b"),
		one("tilde and dash and underscore", "file", "/~user/a-b_c.d"),
		one("brackets and braces", "file", "/[a]{b}"),
		one("backslash on unix", "file", `/a\b`),
		one("double quote and angles", "file", `/"<a>"`),
		one("caret pipe grave", "file", "/^|`"),
		one("non-ascii latin", "file", "/var/log/café.log"),
		one("non-ascii cjk", "file", "/日本/ログ"),
		one("emoji", "file", "/logs/😀"),
		one("tab and newline", "file", "/a\tb\nc"),
		one("nul and delete", "file", "/a\x00b\x7f"),
		one("colon in the first segment", "file", "/C:/foo/bar.log"),
		one("first segment is a colon", "file", "/:x"),
		one("every reserved character", "binary", "/!#$&'()*+,:;=?@[]"),

		// Characters in the query.
		kv("space in value", "/bin/log", "tag", "my app"),
		kv("plus in value", "/bin/log", "tag", "a+b"),
		kv("ampersand and equals in value", "/bin/log", "tag", "a&b=c"),
		kv("percent in value", "/bin/log", "tag", "100%"),
		kv("hash and question mark in value", "/bin/log", "tag", "#?"),
		kv("slash and colon in value", "/bin/log", "url", "http://x/y"),
		kv("semicolon in value", "/bin/log", "tag", "a;b"),
		kv("at dollar comma in value", "/bin/log", "tag", "@$,"),
		kv("sub-delims in value", "/bin/log", "tag", "!'()*"),
		kv("unreserved marks in value", "/bin/log", "tag", "-_.~"),
		kv("non-ascii value", "/bin/log", "tag", "café 日本"),
		kv("newline in value", "/bin/log", "tag", "a\nb"),
		kv("empty value", "/bin/log", "quiet", ""),
		kv("empty key", "/bin/log", "", "v"),
		kv("empty key and value", "/bin/log", "", ""),
		kv("space and equals in key", "/bin/log", "a b=c", "d"),
		kv("non-ascii key", "/bin/log", "clé", "v"),
		kv("question mark in path and query", "/bin/a?b", "k", "v?"),

		// Several arguments: Encode sorts the keys byte by byte.
		{name: "two keys", scheme: "binary", path: "/usr/bin/logger",
			args: map[string]string{"id": "web", "namespace": "default"}},
		{name: "case sorts upper first", scheme: "binary", path: "/b",
			args: map[string]string{"b": "1", "B": "2", "a": "3", "A": "4"}},
		{name: "digits sort as text", scheme: "binary", path: "/b",
			args: map[string]string{"10": "a", "9": "b", "1": "c"}},
		{name: "marks sort by byte", scheme: "binary", path: "/b",
			args: map[string]string{"~": "1", "_": "2", "-": "3", ".": "4", "z": "5"}},
		{name: "non-ascii sorts after ascii", scheme: "binary", path: "/b",
			args: map[string]string{"é": "1", "z": "2", "ß": "3"}},
		{name: "empty key sorts first", scheme: "binary", path: "/b",
			args: map[string]string{"": "x", "a": "", " ": " "}},
		{name: "many keys", scheme: "file", path: "/var/log/app.log",
			args: map[string]string{"maxSize": "100MB", "maxFiles": "3", "compress": "true",
				"format": "json", "labels": "a=1,b=2"}},

		// Schemes.
		one("binary-v2 scheme", "binary-v2", "/usr/bin/logger"),
		one("uppercase scheme", "FILE", "/var/log/a.log"),
		one("mixed case scheme", "Binary", "/b"),
		one("plus dash dot in scheme", "a+b-c.d", "/b"),
		one("digit after the first letter", "x1", "/b"),
		one("empty scheme", "", "/var/log/a.log"),
		{name: "empty scheme with arguments", scheme: "", path: "/b",
			args: map[string]string{"k": "v"}},
		one("scheme starts with a digit", "1x", "/b"),
		one("scheme starts with a dash", "-x", "/b"),
		one("space in scheme", "a b", "/b"),
		one("colon in scheme", "a:b", "/b"),
		one("slash in scheme", "a/b", "/b"),
		one("underscore in scheme", "a_b", "/b"),
		one("non-ascii scheme", "é", "/b"),
	}
	return list
}
