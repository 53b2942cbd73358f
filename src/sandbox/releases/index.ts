export { compareReleases, defaultScala, parseRelease, releaseArtifacts, COMMAND_SCRIPTS } from './catalog.js';
export { cachedRelease, defaultCacheRoot, releaseCachePath, resolveRelease, type ResolveOptions, type ResolvedRelease } from './resolve.js';
