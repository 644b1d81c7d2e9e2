import { cpSync, existsSync } from 'node:fs'
import { join } from 'node:path'
import type { Nitro, NitroConfig } from 'nitropack'
import packageJson from './package.json'
import { DEFAULT_LANGUAGE, LANGUAGE_COOKIE, LANGUAGES } from './i18n/languages'

const tokenInAddress = { 'referrer-policy': 'no-referrer', 'cache-control': 'no-store' }
// Pages behind a respondent session render in the browser (the access token lives only there);
// pages whose address carries a token never leak it through Referer or caches.
const routeRules: Record<string, { ssr?: boolean, headers?: Record<string, string> }> = {
  // Also on static files, which Nitro serves before the app's own middleware runs.
  '/**': { headers: { 'x-content-type-options': 'nosniff', 'x-frame-options': 'DENY' } },
  '/a/**': { ssr: false, headers: tokenInAddress },
  '/*/create-user/**': { ssr: false, headers: tokenInAddress },
  '/*/home': { ssr: false },
  '/*/recall': { ssr: false },
  '/*/feedback': { ssr: false },
  // The admin console renders in the browser: its sign-in is a cookie plus a CSRF token held in memory.
  '/admin': { ssr: false, headers: { 'cache-control': 'no-store' } },
  '/admin/**': { ssr: false, headers: { 'cache-control': 'no-store' } },
}

// Every runtime value is here; each is overridable by its NUXT_… environment variable
// (NUXT_AUTH_SECRET → authSecret, NUXT_PUBLIC_ORIGIN → public.origin, …). See the README.
export default defineNuxtConfig({
  modules: ['@nuxt/eslint', '@nuxtjs/i18n'],
  devtools: { enabled: false },
  app: {
    head: {
      htmlAttrs: { lang: DEFAULT_LANGUAGE },
      meta: [
        { name: 'viewport', content: 'width=device-width, initial-scale=1' },
        { name: 'color-scheme', content: 'light' },
      ],
      title: 'Respondent Gateway',
    },
  },
  css: ['~/assets/main.css'],
  runtimeConfig: {
    authSecret: '',
    captchaProvider: 'none',
    captchaSecret: '',
    captchaVerifyUrl: 'https://api.hcaptcha.com/siteverify',
    captchaHostname: '',
    captchaTimeoutMs: 5000,
    trustProxy: 0,
    webhooksAllowPrivate: false,
    webhooksPollMs: 1000,
    webhooksRetryScale: 1,
    webhooksTimeoutSeconds: 10,
    seedDemo: true,
    loginRateLimit: { max: 5, windowSeconds: 900, addressMax: 100, refusalDelayMs: 1000 },
    sessionLifetimeDays: 30,
    passwordHashConcurrency: 2,
    passwordHashQueueMax: 100,
    passwordHashQueueMaxPerAddress: 50,
    generateUserRateLimit: { max: 5, windowSeconds: 600, failedMax: 20 },
    adminRateLimit: { max: 600, windowSeconds: 60 },
    adminRequireMfa: false,
    adminSession: { idleMinutes: 30, absoluteHours: 12 },
    adminLoginRateLimit: { max: 5, windowSeconds: 900, addressMax: 20 },
    public: {
      origin: '',
      captchaSiteKey: '',
      appName: 'Respondent Gateway',
      appVersion: packageJson.version,
    },
  },
  // Imports say where, not how far: `#server/…` and Nuxt's own `#shared/…` (also set for vitest and tsx).
  alias: { '#server': join(import.meta.dirname, 'server') },
  routeRules,
  compatibilityDate: '2025-07-15',
  nitro: {
    // Nitro's cache storage is used only by @nuxtjs/i18n's messages route (/_i18n/{hash}/{code}/messages.json),
    // which would keep a copy for every hash anyone asks for, in memory, for ever. It keeps none: the
    // messages are merged again per request (cheap), and the page cache is the app's own.
    storage: { cache: { driver: 'null' } },
    // The API reference page (/docs) serves Redoc's standalone bundle from the app itself.
    publicAssets: [{ dir: join(import.meta.dirname, 'node_modules', 'redoc', 'bundles'), baseURL: '/docs/assets', maxAge: 86400 }],
  },
  typescript: {
    strict: true,
  },
  telemetry: false,
  hooks: {
    // API routes answer errors with the JSON body of docs/api.md#errors; pages keep Nuxt's error page.
    'nitro:config'(nuxtNitroConfig) {
      const config = nuxtNitroConfig as NitroConfig
      const existing = config.errorHandler ? [config.errorHandler].flat() : []
      config.errorHandler = ['~~/server/error-handler', ...existing]
      // @nuxtjs/i18n's Nitro plugin builds its context on every request, API calls and page-cache hits
      // included (a copy of the runtime config each time: a fifth of the throughput), for features
      // this app does not use (redirects by language, server-side detection, preloaded messages). The
      // pages decide their language themselves (plugins/language.ts); its messages route sets up the
      // context it needs on its own.
      config.plugins = config.plugins?.filter(plugin => !/[\\/]@nuxtjs[\\/]i18n[\\/]dist[\\/]runtime[\\/]server[\\/]plugin(?:\.m?js)?$/.test(String(plugin)))
      // It also puts its whole configuration in the public runtime config, which every page carries: only
      // what its browser code reads stays (the language codes, the default, the cookie's settings).
      const i18n = (config.runtimeConfig?.public as { i18n?: Record<string, unknown> } | undefined)?.i18n
      if (i18n) Object.assign(i18n, { locales: LANGUAGES.map(language => language.code), experimental: {}, domainLocales: {} })
    },
    // Nitro ships better-sqlite3's binary but not the migrations: put them beside the built server.
    'nitro:init'(nuxtNitro) {
      const nitro = nuxtNitro as unknown as Nitro
      nitro.hooks.hook('compiled', () => {
        const source = join(nitro.options.rootDir, 'drizzle')
        if (existsSync(source)) cpSync(source, join(nitro.options.output.serverDir, 'drizzle'), { recursive: true })
      })
    },
  },
  eslint: {
    config: { stylistic: true },
  },
  // The respondent pages in the respondent's language (docs/languages.md). Addresses stay as they are
  // (no_prefix): the language is the respondent's choice kept in a cookie, else the browser's, else the
  // survey's; plugins/language.ts makes that decision, i18n/languages.ts holds it.
  i18n: {
    strategy: 'no_prefix',
    defaultLocale: DEFAULT_LANGUAGE,
    locales: LANGUAGES.map(({ code, name, dir }) => ({ code, language: code, name, dir, file: `${code}.json` })),
    detectBrowserLanguage: { useCookie: true, cookieKey: LANGUAGE_COOKIE, fallbackLocale: DEFAULT_LANGUAGE, redirectOn: 'root' },
  },
})
