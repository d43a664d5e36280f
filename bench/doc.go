// Package bench holds the project's benchmarks, each side by side with the
// reference it is judged against. `make bench` runs them all (bench/run.sh).
package bench
