import { cpSync, existsSync } from 'node:fs'
import { join } from 'node:path'
import type { Nitro, NitroConfig } from 'nitropack'
import packageJson from './package.json'

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
}

// Every runtime value is here; each is overridable by its NUXT_… environment variable
// (NUXT_AUTH_SECRET → authSecret, NUXT_PUBLIC_ORIGIN → public.origin, …). See the README.
export default defineNuxtConfig({
  modules: ['@nuxt/eslint'],
  devtools: { enabled: false },
  app: {
    head: {
      htmlAttrs: { lang: 'en' },
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
    seedDemo: true,
    loginRateLimit: { max: 5, windowSeconds: 900 },
    generateUserRateLimit: { max: 5, windowSeconds: 600, failedMax: 20 },
    adminRateLimit: { max: 600, windowSeconds: 60 },
    public: {
      origin: '',
      captchaSiteKey: '',
      appName: 'Respondent Gateway',
      appVersion: packageJson.version,
    },
  },
  routeRules,
  compatibilityDate: '2025-07-15',
  nitro: {
    // The API reference page (/docs) serves Redoc's standalone bundle from the app itself.
    publicAssets: [{ dir: join(import.meta.dirname, 'node_modules', 'redoc', 'bundles'), baseURL: '/docs/assets', maxAge: 86400 }],
  },
  typescript: {
    strict: true,
  },
  telemetry: false,
  hooks: {
    // API routes answer errors with SPEC.md section 4's JSON body; pages keep Nuxt's error page.
    'nitro:config'(nuxtNitroConfig) {
      const config = nuxtNitroConfig as NitroConfig
      const existing = config.errorHandler ? [config.errorHandler].flat() : []
      config.errorHandler = ['~~/server/error-handler', ...existing]
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
})
