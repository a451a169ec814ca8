import { createTheme, type Theme, type ThemeOptions } from '@mui/material/styles';

/**
 * Dark and low-glare for a guard room watched at night; status colours stay distinct on it.
 * System fonts only: the CSP forbids web fonts from elsewhere and none ship with the bundle.
 */
const base: ThemeOptions = {
  palette: {
    mode: 'dark',
    primary: { main: '#4fc3f7' },
    secondary: { main: '#b39ddb' },
    success: { main: '#4caf50' },
    warning: { main: '#ffb300' },
    error: { main: '#ef5350' },
    background: { default: '#0b0f14', paper: '#121820' },
  },
  typography: {
    fontFamily: 'system-ui, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif',
  },
  shape: { borderRadius: 6 },
};

export const theme: Theme = createTheme(base);

/** The kiosk: every control at least 64 px so it works with a finger, text a size up. */
export const kioskTheme: Theme = createTheme({
  ...base,
  typography: { ...base.typography, fontSize: 18 },
  components: {
    MuiButton: {
      styleOverrides: { root: { minHeight: 64, minWidth: 64, fontSize: '1.15rem', padding: '12px 28px' } },
    },
    MuiInputBase: { styleOverrides: { root: { minHeight: 64, fontSize: '1.25rem' } } },
    MuiCheckbox: { styleOverrides: { root: { minWidth: 64, minHeight: 64 } } },
    MuiIconButton: { styleOverrides: { root: { minWidth: 64, minHeight: 64 } } },
  },
});
