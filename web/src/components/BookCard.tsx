import { useState } from 'react';
import { Link } from 'react-router';
import type { Book, Stock } from '../api/types';
import { useCart } from '../cart/CartProvider';
import { formatMoney } from '../lib/format';
import { BookCover } from './BookCover';
import { StockBadge } from './StockBadge';

export function AddToCartButton({ book, stock, quantity = 1, className = 'btn btn-primary' }: { book: Book; stock?: Stock; quantity?: number; className?: string }) {
  const cart = useCart();
  const [state, setState] = useState<'idle' | 'adding' | 'added'>('idle');
  const soldOut = stock !== undefined && stock.available <= 0;
  return (
    <button
      className={className}
      disabled={soldOut || state === 'adding'}
      aria-label={soldOut ? `${book.title} is out of stock` : `Add ${book.title} to cart`}
      onClick={async () => {
        setState('adding');
        try {
          await cart.add(book, quantity);
          setState('added');
          setTimeout(() => setState('idle'), 1500);
        } catch {
          setState('idle');
        }
      }}
    >
      {soldOut ? 'Sold out' : state === 'adding' ? 'Adding…' : state === 'added' ? 'Added ✓' : 'Add to cart'}
    </button>
  );
}

export function BookCard({ book, stock, stockLoading }: { book: Book; stock?: Stock; stockLoading?: boolean }) {
  return (
    <li className="book-card" data-testid="book-card" data-book-id={book.id}>
      <Link to={`/books/${book.id}`} className="book-card-cover" tabIndex={-1} aria-hidden="true">
        <BookCover title={book.title} author={book.author} coverUrl={book.coverUrl} />
      </Link>
      <div className="book-card-body">
        <h3 className="book-title">
          <Link to={`/books/${book.id}`}>{book.title}</Link>
        </h3>
        <p className="book-author">{book.author}</p>
        <div className="book-meta">
          <span className="price">{formatMoney(book.price)}</span>
          <StockBadge stock={stock} loading={stockLoading} />
        </div>
      </div>
      <AddToCartButton book={book} stock={stock} />
    </li>
  );
}
