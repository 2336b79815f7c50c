import { useState } from 'react';

const PALETTE = ['#205e5b', '#6b4f3a', '#3f4e7a', '#7a3f55', '#4f6b3a', '#5a4a7a', '#7a5f2e', '#2e6a7a'];

function hash(s: string) {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (h * 31 + s.charCodeAt(i)) | 0;
  return Math.abs(h);
}

/** The cover image, or a typographic cover when there is none (or it fails to load). */
export function BookCover({ title, author, coverUrl, size = 'md' }: { title: string; author?: string; coverUrl?: string | null; size?: 'sm' | 'md' | 'lg' }) {
  const [failed, setFailed] = useState(false);
  if (coverUrl && !failed) {
    return <img className={`cover cover-${size}`} src={coverUrl} alt="" loading="lazy" onError={() => setFailed(true)} />;
  }
  const bg = PALETTE[hash(title) % PALETTE.length];
  return (
    <div className={`cover cover-${size} cover-generated`} style={{ background: bg }} aria-hidden="true">
      <span className="cover-title">{title}</span>
      {author && size !== 'sm' && <span className="cover-author">{author}</span>}
    </div>
  );
}
