// Package version says which build of tct is running, from the build
// information the Go toolchain embeds.
package version

import (
	"fmt"
	"runtime/debug"
	"strings"
)

// Version is the release of tct; builds between releases say "devel".
const Version = "0.1.0-devel"

// String is tct's version, the commit it was built from (with "+dirty"
// for uncommitted changes; "unknown" outside a checkout), and the Go and
// GoMLX versions.
func String() string {
	commit, gomlx, goVersion := "unknown", "unknown", "unknown"
	if bi, ok := debug.ReadBuildInfo(); ok {
		goVersion = bi.GoVersion
		var rev, modified string
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				modified = s.Value
			}
		}
		if rev != "" {
			commit = rev
			if modified == "true" {
				commit += "+dirty"
			}
		}
		for _, d := range bi.Deps {
			if d.Path == "github.com/gomlx/gomlx" {
				gomlx = d.Version
				if d.Replace != nil {
					gomlx = d.Replace.Version + " (replaced)"
				}
			}
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "tct %s\ncommit %s\ngo %s\ngomlx %s\n", Version, commit, goVersion, gomlx)
	return b.String()
}
