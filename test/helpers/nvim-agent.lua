-- Loaded into a headless Neovim 0.7.2 by test/helpers/nvim.ts: a small API the tests call over --remote-expr.
-- Each call reads {fn, args} from a JSON file and writes {ok, result} as JSON next to it (FILE.out): a long
-- value printed by --remote-expr would be cut by Neovim's message area. The LSP client is Neovim's own
-- (vim.lsp.start_client + buf_attach_client), with its default handlers; we only record what arrives.
LspairTest = { diagnostics = {}, messages = {}, applied = {}, client = nil }
local T = LspairTest

function T.call(file)
  local f = assert(io.open(file))
  local req = vim.json.decode(f:read('*a'))
  f:close()
  local ok, result = pcall(T[req.fn], unpack(req.args))
  if result == nil then result = vim.NIL end
  local out = assert(io.open(file .. '.out', 'w'))
  out:write(vim.json.encode({ ok = ok, result = ok and result or tostring(result) }))
  out:close()
  return 'done'
end

local function wrap(method, record)
  local default = vim.lsp.handlers[method]
  return function(err, result, ctx, config)
    record(result, ctx)
    if default then return default(err, result, ctx, config) end
  end
end

function T.start(cmd, root, debounce)
  T.client = vim.lsp.start_client({
    name = 'lspair-test',
    cmd = cmd,
    root_dir = root,
    flags = { debounce_text_changes = debounce or 0 },
    handlers = {
      ['textDocument/publishDiagnostics'] = wrap('textDocument/publishDiagnostics', function(result)
        T.diagnostics[result.uri] = result.diagnostics
      end),
      ['window/showMessage'] = wrap('window/showMessage', function(result)
        table.insert(T.messages, result.message)
      end),
      ['workspace/applyEdit'] = wrap('workspace/applyEdit', function(result)
        table.insert(T.applied, result)
      end),
    },
  })
  return T.client
end

function T.open(path)
  vim.cmd('edit ' .. vim.fn.fnameescape(path))
  local buf = vim.api.nvim_get_current_buf()
  vim.lsp.buf_attach_client(buf, T.client)
  return buf
end

function T.request(method, params, timeout)
  local client = vim.lsp.get_client_by_id(T.client)
  local response, err = client.request_sync(method, params, timeout or 30000, vim.api.nvim_get_current_buf())
  if not response then return { error = { message = tostring(err) } } end
  return { result = response.result, error = response.err }
end

function T.wait_diagnostics(uri, timeout, pattern)
  local found = vim.wait(timeout or 30000, function()
    local list = T.diagnostics[uri]
    if not list or #list == 0 then return false end
    if not pattern then return true end
    for _, d in ipairs(list) do
      if d.message:find(pattern) then return true end
    end
    return false
  end, 50)
  return found and T.diagnostics[uri] or vim.NIL
end

function T.wait_message(pattern, timeout)
  local found = vim.wait(timeout or 10000, function()
    for _, m in ipairs(T.messages) do
      if m:find(pattern) then return true end
    end
    return false
  end, 50)
  return found
end

function T.lines(buf)
  return vim.api.nvim_buf_get_lines(buf or 0, 0, -1, false)
end

-- Replaces a range of the buffer as typing would (the LSP client sends didChange).
function T.set_text(buf, l1, c1, l2, c2, lines)
  vim.api.nvim_buf_set_text(buf, l1, c1, l2, c2, lines)
  return vim.api.nvim_buf_get_changedtick(buf)
end

function T.apply_edit(edit)
  vim.lsp.util.apply_workspace_edit(edit, 'utf-16')
  return true
end

function T.save()
  vim.cmd('write')
  return true
end

function T.stop()
  vim.lsp.stop_client(T.client)
  return vim.wait(5000, function() return vim.lsp.get_client_by_id(T.client) == nil end, 50)
end
