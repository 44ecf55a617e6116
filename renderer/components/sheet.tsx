/**
 * A modal sheet on the native <dialog>: focus moves in and is trapped, Escape closes, the page
 * behind is inert, and the focus returns to what opened the sheet when it closes. Title, body and a
 * footer of buttons.
 */
import { useEffect, useRef, type FormEvent, type ReactNode } from 'react';

/** Props of a sheet. */
export interface SheetProps {
  readonly title: string;
  readonly onClose: () => void;
  /** Submitting the form (Enter in a field, or a submit button). */
  readonly onSubmit?: () => void;
  readonly footer: ReactNode;
  readonly children: ReactNode;
  readonly wide?: boolean;
  readonly testId?: string;
}

/** A modal sheet. */
export function Sheet({ title, onClose, onSubmit, footer, children, wide, testId }: SheetProps) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    // What had the focus before the sheet opened (the button or the row that opened it): the focus
    // goes back there when the sheet closes, however it closes (Escape, a button, a submit). React
    // removes the dialog before this clean-up runs, so the dialog's own focus restore cannot do it.
    const opener = document.activeElement instanceof HTMLElement && document.activeElement !== document.body ? document.activeElement : null;
    if (dialog && !dialog.open) dialog.showModal();
    return () => {
      dialog?.close();
      if (opener?.isConnected && !document.querySelector('dialog[open]')) opener.focus();
    };
  }, []);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    onSubmit?.();
  };
  return (
    <dialog
      ref={ref}
      className={wide ? 'sheet sheet--wide' : 'sheet'}
      aria-label={title}
      data-testid={testId}
      onCancel={(e) => {
        e.preventDefault();
        onClose();
      }}
    >
      <form method="dialog" onSubmit={submit} className="sheet__form">
        <h2 className="sheet__title">{title}</h2>
        <div className="sheet__body">{children}</div>
        <div className="sheet__footer">{footer}</div>
      </form>
    </dialog>
  );
}
