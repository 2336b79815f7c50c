import { NavLink, Route, Routes } from 'react-router';
import NotFoundPage from '../pages/NotFoundPage';
import { BookFormPage } from './BookForm';
import BooksAdmin from './BooksAdmin';
import Dashboard from './Dashboard';
import OrdersAdmin from './OrdersAdmin';
import StockAdmin from './StockAdmin';

export default function AdminRoutes() {
  return (
    <div className="admin">
      <nav className="admin-nav" aria-label="Admin">
        <NavLink to="/admin" end>
          Dashboard
        </NavLink>
        <NavLink to="/admin/books">Books</NavLink>
        <NavLink to="/admin/stock">Stock</NavLink>
        <NavLink to="/admin/orders">Orders</NavLink>
      </nav>
      <div className="admin-body">
        <Routes>
          <Route index element={<Dashboard />} />
          <Route path="books" element={<BooksAdmin />} />
          <Route path="books/new" element={<BookFormPage />} />
          <Route path="books/:id" element={<BookFormPage />} />
          <Route path="stock" element={<StockAdmin />} />
          <Route path="orders" element={<OrdersAdmin />} />
          <Route path="*" element={<NotFoundPage />} />
        </Routes>
      </div>
    </div>
  );
}
