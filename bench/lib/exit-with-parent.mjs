/* global setTimeout */
/**
 * Preloaded into every child the bench starts (`--import`): when the bench
 * process goes away, even by SIGKILL, its IPC channel closes and the child
 * stops itself, so no server is left listening. The channel is unref'd: it
 * never keeps a child alive on its own. Plain JavaScript, so it also preloads
 * into the compiled service, which runs without tsx.
 */
if (process.channel) {
  process.channel.unref();
  process.on('disconnect', () => {
    process.kill(process.pid, 'SIGTERM');
    setTimeout(() => process.exit(1), 3000).unref();
  });
}
