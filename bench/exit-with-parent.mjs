// Preloaded (`node --import`) into both servers that bench/run.ts starts: the server exits when the
// benchmark's end of its stdin closes, so it never outlives a benchmark that was killed outright
// (SIGKILL, a closed terminal), when no cleanup code gets to run.
process.stdin.on('end', () => process.exit(0))
process.stdin.on('error', () => process.exit(0))
process.stdin.resume()
