// libvips' image threads made nicer than the rest of the server: an import's photos and a print
// job's card photos yield to the event loop and PostgreSQL while users wait (TESSERA_BACKGROUND_PRIORITY).
import { readdirSync, readFileSync } from 'node:fs';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { keepImageWorkersNice } from '../../core/image-workers.ts';
import { statFields } from '../support/proc.ts';

/** name and nice value of every thread of this process. */
function threads(): { tid: number; name: string; nice: number }[] {
  return readdirSync('/proc/self/task').flatMap((tid) => {
    const fields = statFields(`/proc/self/task/${tid}/stat`);
    let name: string;
    try {
      name = readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim();
    } catch {
      return []; // ended meanwhile
    }
    // Field 19 (nice) is the 17th after the command.
    return fields ? [{ tid: Number(tid), name, nice: Number(fields[16]) }] : [];
  });
}

const resizeMany = async (n: number) => {
  const image = await sharp({ create: { width: 1600, height: 1200, channels: 3, background: '#7a8' } })
    .jpeg()
    .toBuffer();
  await Promise.all(Array.from({ length: n }, () => sharp(image).resize(300).jpeg().toBuffer()));
};

describe('image worker priority', () => {
  it('renices every libvips worker thread, and no other thread', async () => {
    await resizeMany(4);
    const mainNice = threads().find((t) => t.tid === process.pid)!.nice;
    const stop = keepImageWorkersNice(mainNice + 6, 50);
    try {
      await resizeMany(16);
      await new Promise((resolve) => setTimeout(resolve, 150));
      const all = threads();
      const workers = all.filter((t) => t.name === 'libvips worker');
      expect(workers.length).toBeGreaterThan(0);
      for (const w of workers) expect(w.nice, `thread ${w.tid}`).toBe(mainNice + 6);
      const others = all.filter((t) => t.name !== 'libvips worker');
      for (const t of others) expect(t.nice, `${t.name} ${t.tid}`).toBe(mainNice);
    } finally {
      stop();
    }
  });
});
