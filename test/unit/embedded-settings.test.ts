import { describe, expect, it } from 'vitest';
import { embeddedSettings } from '../../core/db/embedded.ts';

const GB = 1024 ** 3;

describe('embedded PostgreSQL settings', () => {
  it('gives shared buffers an eighth of memory, at least PostgreSQL’s 128 MB and at most 2 GB', () => {
    expect(embeddedSettings(512 * 1024 ** 2).shared_buffers).toBe('128MB');
    expect(embeddedSettings(4 * GB).shared_buffers).toBe('512MB');
    expect(embeddedSettings(8 * GB).shared_buffers).toBe('1024MB');
    expect(embeddedSettings(64 * GB).shared_buffers).toBe('2048MB');
  });

  it('tells the planner half of memory is cache and spaces checkpoints by 4 GB of WAL', () => {
    expect(embeddedSettings(8 * GB)).toMatchObject({ effective_cache_size: '4096MB', max_wal_size: '4GB' });
    expect(embeddedSettings(512 * 1024 ** 2).effective_cache_size).toBe('512MB');
  });
});
