import { describe, expect, it } from 'vitest';
import { matchPhotos, photoKey } from '../../core/import/photo-match.ts';

describe('matching photos to rows', () => {
  it('reduces file names to the part that names the photo', () => {
    expect(photoKey('照片/11010119900307661x.JPG')).toBe('11010119900307661X');
    expect(photoKey('C:\\相片\\张　三.jpeg')).toBe('张三');
    expect(photoKey('１１０１.png')).toBe('1101');
  });

  it('matches by pasted picture, file-name column, ID number (any case of x, name appended) and name', () => {
    const review = matchPhotos(
      [
        { row: 2, embedded: true, idNumber: '110101199003076610' },
        { row: 3, fileName: 'li.jpg', idNumber: '31010419851231242X', name: '李娜' },
        { row: 4, idNumber: '31010419851231243X', name: '王伟' },
        { row: 5, idNumber: '440305199201151277', name: '赵强' },
        { row: 6, name: '孙丽' },
      ],
      ['photos/LI.JPG', '31010419851231243x_王伟.jpg', '赵强.png', 'extra.jpg'],
    );
    expect(review.matched).toEqual([
      { row: 2, source: 'embedded', file: null },
      { row: 3, source: 'file-column', file: 'photos/LI.JPG' },
      { row: 4, source: 'id-number', file: '31010419851231243x_王伟.jpg' },
      { row: 5, source: 'name', file: '赵强.png' },
    ]);
    expect(review.unmatchedFiles).toEqual(['extra.jpg']);
    expect(review.rowsWithoutPhoto).toEqual([6]);
  });

  it('takes nothing when it is ambiguous', () => {
    const review = matchPhotos(
      [
        { row: 2, name: '张伟' },
        { row: 3, name: '张伟' },
        { row: 4, idNumber: '110101199003076610' },
      ],
      ['张伟.jpg', '110101199003076610.jpg', '110101199003076610.png'],
    );
    expect(review.matched).toEqual([]);
    expect(review.ambiguous.map((a) => a.row)).toEqual([2, 3, 4]);
    expect(review.ambiguous[0]!.reason).toContain('同名');
    expect(review.ambiguous[2]!.reason).toContain('多张');
  });
});
